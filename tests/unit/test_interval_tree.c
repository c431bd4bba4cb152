/*
 * tests/unit/test_interval_tree.c - lib/interval_tree_generic.h against a
 * naive model
 *
 * The model is the list of nodes in the order the tree must keep them:
 * insert() puts a node after every node whose start is <= its start;
 * insert_after(node, prev) puts it right after prev.  Starts come from a
 * small range, so most nodes share their start with others and the FIFO
 * rule among equal starts is exercised constantly.  After every operation
 * the tree is checked (colours, parents, order, subtree_last, cached
 * leftmost) and random queries must return exactly the model's
 * intersecting nodes, in model order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/interval_tree_generic.h"
#include "lib/util.h"
#include "tests/test.h"

#define MAX_NODES 1024

struct itnode {
	uint64_t start, last;
	struct {
		struct rb_node rb;	/* a nested member, as in vm_area_struct.shared */
		uint64_t subtree_last;
	} shared;
	long seq;		/* insertion sequence number */
};

#define IT_START(n) ((n)->start)
#define IT_LAST(n) ((n)->last)

INTERVAL_TREE_DEFINE(struct itnode, shared.rb, uint64_t, shared.subtree_last,
		     IT_START, IT_LAST, static, itt)

struct model {
	struct itnode *v[MAX_NODES];
	int n;
};

static void model_insert_at(struct model *m, int pos, struct itnode *node)
{
	T_ASSERT(m->n < MAX_NODES);
	memmove(&m->v[pos + 1], &m->v[pos], (size_t)(m->n - pos) * sizeof(m->v[0]));
	m->v[pos] = node;
	m->n++;
}

static struct itnode *model_remove_at(struct model *m, int pos)
{
	struct itnode *node = m->v[pos];

	memmove(&m->v[pos], &m->v[pos + 1], (size_t)(m->n - pos - 1) * sizeof(m->v[0]));
	m->n--;
	return node;
}

/* Position for insert(): after every node with start <= node's start. */
static int model_insert_pos(const struct model *m, const struct itnode *node)
{
	int pos = m->n;

	while (pos > 0 && m->v[pos - 1]->start > node->start)
		pos--;
	return pos;
}

static int model_find(const struct model *m, const struct itnode *node)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i] == node)
			return i;
	T_ASSERT(!"node not in model");
	return -1;
}

/* Colours and parents; returns the black height.  Checks subtree_last. */
static int check_subtree(const struct rb_node *rb, const struct rb_node *parent,
			 uint64_t *sub_last, int *count)
{
	const struct itnode *node;
	uint64_t max, l = 0, r = 0;
	int lh, rh;

	if (!rb)
		return 1;
	(*count)++;
	T_ASSERT(*count <= MAX_NODES);
	T_ASSERT(rb_parent(rb) == parent);
	if (rb_is_red(rb)) {
		T_ASSERT(!rb->rb_left || rb_is_black(rb->rb_left));
		T_ASSERT(!rb->rb_right || rb_is_black(rb->rb_right));
	}
	node = rb_entry(rb, struct itnode, shared.rb);
	lh = check_subtree(rb->rb_left, rb, &l, count);
	rh = check_subtree(rb->rb_right, rb, &r, count);
	T_EQ(lh, rh);
	max = MAX(node->last, MAX(l, r));
	T_EQ(node->shared.subtree_last, max);
	*sub_last = max;
	return lh + (rb_is_black(rb) ? 1 : 0);
}

static void check_tree(const struct rb_root_cached *root, const struct model *m)
{
	const struct rb_node *rb;
	uint64_t sub_last = 0;
	int count = 0, i = 0;

	if (root->rb_root.rb_node)
		T_ASSERT(rb_is_black(root->rb_root.rb_node));
	check_subtree(root->rb_root.rb_node, NULL, &sub_last, &count);
	T_EQ(count, m->n);
	for (rb = rb_first(&root->rb_root); rb; rb = rb_next(rb), i++) {
		T_ASSERT(i < m->n);
		T_ASSERT(rb_entry(rb, struct itnode, shared.rb) == m->v[i]);
	}
	T_EQ(i, m->n);
	T_ASSERT(root->rb_leftmost == rb_first(&root->rb_root));
}

/* The query [qs, ql] returns exactly the model's intersecting nodes, in order. */
static void check_query(struct rb_root_cached *root, const struct model *m, uint64_t qs, uint64_t ql,
			bool fifo)
{
	struct itnode *node = itt_iter_first(root, qs, ql);
	const struct itnode *prev = NULL;
	int i = 0;

	for (;;) {
		while (i < m->n && !(m->v[i]->start <= ql && qs <= m->v[i]->last))
			i++;
		if (i == m->n)
			break;
		T_ASSERT(node == m->v[i]);
		/* Ascending start; equal starts oldest first (plain inserts only). */
		if (prev) {
			T_ASSERT(prev->start <= node->start);
			if (fifo && prev->start == node->start)
				T_ASSERT(prev->seq < node->seq);
		}
		prev = node;
		node = itt_iter_next(node, qs, ql);
		i++;
	}
	T_ASSERT(node == NULL);
}

static void random_queries(struct prng *r, struct rb_root_cached *root, const struct model *m,
			   bool fifo)
{
	for (int q = 0; q < 4; q++) {
		uint64_t qs = prng_below(r, 40), ql = qs + prng_below(r, 12);

		if (prng_below(r, 8) == 0)
			ql = UINT64_MAX;
		check_query(root, m, qs, ql, fifo);
	}
	check_query(root, m, 0, UINT64_MAX, fifo);	/* everything */
}

static struct itnode *new_node(struct prng *r, long *seq)
{
	struct itnode *node = malloc(sizeof(*node));

	T_ASSERT(node);
	/* Starts in [0, 24): many equal starts.  Mostly short, some huge. */
	node->start = prng_below(r, 24);
	if (prng_below(r, 16) == 0)
		node->last = UINT64_MAX - prng_below(r, 4);
	else
		node->last = node->start + prng_below(r, 10);
	node->seq = (*seq)++;
	return node;
}

static long nr_ops(void)
{
	return (long)t_param("it_ops", t_long() ? 200000 : 20000);
}

/*
 * Random insert/remove (and, when @with_after, insert_after) sequences.
 * With plain inserts only, equal starts must come back in insertion order.
 */
static void run_random(uint64_t salt, bool with_after)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct model *m = calloc(1, sizeof(*m));
	struct prng r;
	long ops = nr_ops(), seq = 0, inserts = 0, afters = 0, removes = 0;
	int target = 0;

	T_ASSERT(m);
	prng_seed(&r, t_seed() ^ salt);
	for (long op = 0; op < ops; op++) {
		bool grow;

		if (op % 1000 == 0)
			target = (int)prng_below(&r, 300);
		grow = m->n == 0 || (m->n < MAX_NODES - 1 &&
				     (prng_below(&r, 4) == 0 ? m->n > target : m->n < target));
		if (grow && with_after && m->n && prng_below(&r, 2) == 0) {
			/* A copy of an existing node, placed right after it. */
			int pos = (int)prng_below(&r, (uint64_t)m->n);
			struct itnode *prev = m->v[pos], *node = new_node(&r, &seq);

			node->start = prev->start;
			itt_insert_after(node, prev, &root);
			model_insert_at(m, pos + 1, node);
			afters++;
		} else if (grow) {
			struct itnode *node = new_node(&r, &seq);

			itt_insert(node, &root);
			model_insert_at(m, model_insert_pos(m, node), node);
			inserts++;
		} else {
			struct itnode *node = model_remove_at(m, (int)prng_below(&r, (uint64_t)m->n));

			itt_remove(node, &root);
			free(node);
			removes++;
		}
		check_tree(&root, m);
		random_queries(&r, &root, m, !with_after);
	}
	if (t_verbose())
		t_log("%ld ops: %ld inserts, %ld insert_after, %ld removes", ops, inserts, afters,
		      removes);
	while (m->n)
		free(model_remove_at(m, m->n - 1));
	free(m);
}

TEST(interval_tree_random)
{
	run_random(0x6974726565000001ULL, false);
}

TEST(interval_tree_insert_after_random)
{
	run_random(0x6974726565000002ULL, true);
}

/*
 * insert_after among a run of equal starts: for every position k in a run
 * of n equal-start nodes (with other starts around them), inserting after
 * the k-th puts the new node right after it, ahead of the later ones, in
 * both tree order and query order.
 */
TEST(interval_tree_insert_after_equal_starts)
{
	for (int n = 1; n <= 40; n++) {
		for (int k = 0; k < n; k++) {
			static struct itnode nodes[64];
			struct rb_root_cached root = RB_ROOT_CACHED;
			struct model m = { .n = 0 };
			struct itnode *run[40], *extra = &nodes[63];
			long seq = 0;
			int pos;

			/* Neighbours with starts 3 and 7, interleaved with the run at start 5. */
			for (int i = 0; i < n + 10; i++) {
				struct itnode *node = &nodes[i];

				node->start = i < n ? 5 : (i & 1) ? 3 : 7;
				node->last = node->start + (uint64_t)(i % 4);
				node->seq = seq++;
				if (i < n)
					run[i] = node;
				itt_insert(node, &root);
				model_insert_at(&m, model_insert_pos(&m, node), node);
				check_tree(&root, &m);
			}
			extra->start = 5;
			extra->last = 5 + (uint64_t)(k % 3) * 10;	/* may raise subtree_last */
			extra->seq = seq++;
			itt_insert_after(extra, run[k], &root);
			pos = model_find(&m, run[k]) + 1;
			model_insert_at(&m, pos, extra);
			check_tree(&root, &m);
			T_ASSERT(rb_next(&run[k]->shared.rb) == &extra->shared.rb);
			if (k + 1 < n)
				T_ASSERT(rb_next(&extra->shared.rb) == &run[k + 1]->shared.rb);
			check_query(&root, &m, 0, UINT64_MAX, false);
			check_query(&root, &m, 5, 5, false);
			check_query(&root, &m, 6, 20, false);
			/* Removing everything keeps the tree valid at each step. */
			while (m.n) {
				struct itnode *node = model_remove_at(&m, m.n / 2);

				itt_remove(node, &root);
				check_tree(&root, &m);
				check_query(&root, &m, 4, 6, false);
			}
		}
	}
}

/* Edge cases: empty tree, point intervals, whole-range intervals. */
TEST(interval_tree_edges)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct itnode a = { .start = 0, .last = 0 }, b = { .start = 0, .last = UINT64_MAX };
	struct itnode c = { .start = UINT64_MAX, .last = UINT64_MAX };

	T_ASSERT(!itt_iter_first(&root, 0, UINT64_MAX));
	itt_insert(&a, &root);
	itt_insert(&b, &root);
	itt_insert(&c, &root);
	T_ASSERT(itt_iter_first(&root, 0, 0) == &a);
	T_ASSERT(itt_iter_next(&a, 0, 0) == &b);
	T_ASSERT(itt_iter_next(&b, 0, 0) == NULL);
	T_ASSERT(itt_iter_first(&root, 1, 5) == &b);
	T_ASSERT(itt_iter_next(&b, 1, 5) == NULL);
	T_ASSERT(itt_iter_first(&root, UINT64_MAX, UINT64_MAX) == &b);
	T_ASSERT(itt_iter_next(&b, UINT64_MAX, UINT64_MAX) == &c);
	T_ASSERT(itt_iter_next(&c, UINT64_MAX, UINT64_MAX) == NULL);
	itt_remove(&b, &root);
	T_ASSERT(itt_iter_first(&root, 1, UINT64_MAX - 1) == NULL);
	itt_remove(&a, &root);
	itt_remove(&c, &root);
	T_ASSERT(RB_EMPTY_ROOT(&root.rb_root));
	T_ASSERT(root.rb_leftmost == NULL);
}
