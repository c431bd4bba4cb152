/*
 * tests/unit/test_rbtree.c - lib/rbtree.c and lib/rbtree_augmented.h
 * against a naive sorted-array model
 *
 * Every randomised test runs a seeded sequence of operations (t_seed();
 * 20,000 by default, 200,000 with --long, or --param rb_ops=N) whose tree
 * size wanders between empty and several hundred nodes, and checks the
 * whole tree after every operation: parent pointers, colours (root black,
 * no red-red, equal black heights), order against the model, forward and
 * backward iteration, rb_first/rb_last, post-order, augmentation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rbtree.h"
#include "lib/rbtree_augmented.h"
#include "lib/util.h"
#include "tests/test.h"

#define MAX_NODES 1024

static long nr_ops(void)
{
	return (long)t_param("rb_ops", t_long() ? 200000 : 20000);
}

/* ---- the model: nodes in in-order sequence ---- */

struct model {
	void *v[MAX_NODES];
	int n;
};

static void model_insert_at(struct model *m, int pos, void *p)
{
	T_ASSERT(m->n < MAX_NODES);
	memmove(&m->v[pos + 1], &m->v[pos], (size_t)(m->n - pos) * sizeof(void *));
	m->v[pos] = p;
	m->n++;
}

static void *model_remove_at(struct model *m, int pos)
{
	void *p = m->v[pos];

	memmove(&m->v[pos], &m->v[pos + 1], (size_t)(m->n - pos - 1) * sizeof(void *));
	m->n--;
	return p;
}

/*
 * Every so often pick a new target size; grow towards it or shrink
 * towards it, mostly.  Returns true for "insert".
 */
static bool choose_insert(struct prng *r, long op, int n, int *target)
{
	if (op % 1500 == 0)
		*target = (int)prng_below(r, 4) == 0 ? 0 : (int)prng_below(r, 600);
	if (n == 0)
		return true;
	if (n >= MAX_NODES - 1)
		return false;
	return prng_below(r, 4) == 0 ? n > *target : n < *target;
}

/* ---- structural checks shared by all trees ---- */

/* Colours and parent links of the subtree at @node; returns its black height. */
static int check_rb_subtree(const struct rb_node *node, const struct rb_node *parent, int *count)
{
	int lh, rh;

	if (!node)
		return 1;
	(*count)++;
	T_ASSERT(*count <= MAX_NODES);	/* no cycles */
	T_ASSERT(rb_parent(node) == parent);
	T_EQ(node->rb_parent_color & 2UL, 0);
	if (rb_is_red(node)) {
		T_ASSERT(!node->rb_left || rb_is_black(node->rb_left));
		T_ASSERT(!node->rb_right || rb_is_black(node->rb_right));
	}
	lh = check_rb_subtree(node->rb_left, node, count);
	rh = check_rb_subtree(node->rb_right, node, count);
	T_EQ(lh, rh);
	return lh + (rb_is_black(node) ? 1 : 0);
}

/*
 * The tree holds exactly the model's nodes in the model's order (which
 * the model keeps sorted, so this checks BST order too).  @off is the
 * offset of the rb_node inside the test's node type.
 */
static void check_tree(const struct rb_root *root, const struct model *m, size_t off)
{
	const struct rb_node *rb;
	int count = 0, i;

	if (root->rb_node)
		T_ASSERT(rb_is_black(root->rb_node));
	check_rb_subtree(root->rb_node, NULL, &count);
	T_EQ(count, m->n);

	/* Forward and backward in-order walks. */
	i = 0;
	for (rb = rb_first(root); rb; rb = rb_next(rb), i++) {
		T_ASSERT(i < m->n);
		T_ASSERT((const char *)rb - off == (const char *)m->v[i]);
	}
	T_EQ(i, m->n);
	i = m->n;
	for (rb = rb_last(root); rb; rb = rb_prev(rb)) {
		T_ASSERT(i > 0);
		i--;
		T_ASSERT((const char *)rb - off == (const char *)m->v[i]);
	}
	T_EQ(i, 0);
	if (!m->n) {
		T_ASSERT(!rb_first(root));
		T_ASSERT(!rb_last(root));
	}

	/*
	 * Post-order: left subtree, right subtree, node.  So the node
	 * visited just before X is X's right child if any, else its left
	 * child if any; the walk ends at the root after n nodes.
	 */
	{
		const struct rb_node *prev = NULL;

		i = 0;
		for (rb = rb_first_postorder(root); rb; prev = rb, rb = rb_next_postorder(rb), i++) {
			T_ASSERT(i < m->n);
			if (rb->rb_right)
				T_ASSERT(prev == rb->rb_right);
			else if (rb->rb_left)
				T_ASSERT(prev == rb->rb_left);
		}
		T_EQ(i, m->n);
		T_ASSERT(prev == root->rb_node);
	}
}

/* ---- plain tree (with cached leftmost), duplicates allowed ---- */

struct pnode {
	uint64_t key;
	struct rb_node rb;	/* not first, so container_of is exercised */
	long seq;		/* insertion order, breaks ties in the model */
};

static int pnode_before(const struct pnode *a, const struct pnode *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void pnode_insert(struct rb_root_cached *root, struct pnode *node)
{
	struct rb_node **link = &root->rb_root.rb_node, *parent = NULL;
	bool leftmost = true;

	while (*link) {
		struct pnode *p = rb_entry(*link, struct pnode, rb);

		parent = *link;
		if (node->key < p->key) {
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
			leftmost = false;
		}
	}
	rb_link_node(&node->rb, parent, link);
	rb_insert_color_cached(&node->rb, root, leftmost);
}

/* The model position for a new node: after everything not after it. */
static int model_upper_bound(const struct model *m, const struct pnode *node)
{
	int lo = 0, hi = m->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (pnode_before(node, m->v[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

TEST(rbtree_random)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct model *m = calloc(1, sizeof(*m));
	struct prng r;
	long ops = nr_ops(), seq = 0, inserts = 0, erases = 0, replaces = 0;
	int target = 0, maxn = 0;

	T_ASSERT(m);
	prng_seed(&r, t_seed() ^ 0x7262747265650001ULL);
	for (long op = 0; op < ops; op++) {
		if (choose_insert(&r, op, m->n, &target)) {
			struct pnode *node = malloc(sizeof(*node));

			T_ASSERT(node);
			/* Small key range: many equal keys. */
			node->key = prng_below(&r, 64);
			node->seq = seq++;
			pnode_insert(&root, node);
			model_insert_at(m, model_upper_bound(m, node), node);
			inserts++;
		} else if (prng_below(&r, 10) == 0) {
			/* Replace a node by a copy in the same position. */
			int pos = (int)prng_below(&r, (uint64_t)m->n);
			struct pnode *old = m->v[pos], *new = malloc(sizeof(*new));

			T_ASSERT(new);
			new->key = old->key;
			new->seq = old->seq;
			rb_replace_node_cached(&old->rb, &new->rb, &root);
			m->v[pos] = new;
			free(old);
			replaces++;
		} else {
			int pos = (int)prng_below(&r, (uint64_t)m->n);
			struct pnode *node = model_remove_at(m, pos);

			rb_erase_cached(&node->rb, &root);
			free(node);
			erases++;
		}
		if (m->n > maxn)
			maxn = m->n;
		check_tree(&root.rb_root, m, offsetof(struct pnode, rb));
		T_ASSERT(root.rb_leftmost == rb_first(&root.rb_root));
	}
	if (t_verbose())
		t_log("%ld ops: %ld inserts, %ld erases, %ld replaces, max size %d",
		      ops, inserts, erases, replaces, maxn);
	{
		struct pnode *pos, *n;

		rbtree_postorder_for_each_entry_safe(pos, n, &root.rb_root, rb)
			free(pos);
	}
	free(m);
}

/* Hand-built shapes: empty tree, single node, ascending and descending runs. */
TEST(rbtree_sequential)
{
	static struct pnode nodes[300];
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct model m = { .n = 0 };

	T_ASSERT(!rb_first(&root.rb_root) && !rb_last(&root.rb_root));
	T_ASSERT(!rb_first_postorder(&root.rb_root));
	/* Ascending keys, then descending keys: every insert hits an extreme. */
	for (int i = 0; i < 300; i++) {
		struct pnode *node = &nodes[i];

		node->key = i < 150 ? (uint64_t)(1000 + i) : (uint64_t)(1000 - i);
		node->seq = i;
		pnode_insert(&root, node);
		model_insert_at(&m, model_upper_bound(&m, node), node);
		check_tree(&root.rb_root, &m, offsetof(struct pnode, rb));
		T_ASSERT(root.rb_leftmost == rb_first(&root.rb_root));
	}
	/* Erase from the front, then from the back, alternating. */
	while (m.n) {
		struct pnode *node = model_remove_at(&m, (m.n & 1) ? 0 : m.n - 1);

		rb_erase_cached(&node->rb, &root);
		RB_CLEAR_NODE(&node->rb);
		T_ASSERT(RB_EMPTY_NODE(&node->rb));
		T_ASSERT(!rb_next(&node->rb) && !rb_prev(&node->rb));
		check_tree(&root.rb_root, &m, offsetof(struct pnode, rb));
		T_ASSERT(root.rb_leftmost == rb_first(&root.rb_root));
	}
	T_ASSERT(RB_EMPTY_ROOT(&root.rb_root));
}

/* ---- augmented: max over subtree (RB_DECLARE_CALLBACKS_MAX) ---- */

struct anode {
	struct rb_node rb;
	uint64_t key;
	uint64_t val;		/* the node's own value */
	uint64_t max;		/* max val over the subtree */
	long seq;
};

#define ANODE_VAL(n) ((n)->val)

RB_DECLARE_CALLBACKS_MAX(static, anode_cb, struct anode, rb, uint64_t, max, ANODE_VAL);

static uint64_t check_max(const struct rb_node *rb)
{
	const struct anode *node;
	uint64_t max, left, right;

	if (!rb)
		return 0;
	node = rb_entry(rb, struct anode, rb);
	left = check_max(rb->rb_left);	/* not inside MAX(): it evaluates twice */
	right = check_max(rb->rb_right);
	max = MAX(node->val, MAX(left, right));
	T_EQ(node->max, max);
	return max;
}

static void anode_insert(struct rb_root *root, struct anode *node)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct anode *p = rb_entry(*link, struct anode, rb);

		parent = *link;
		if (p->max < node->val)
			p->max = node->val;
		link = node->key < p->key ? &parent->rb_left : &parent->rb_right;
	}
	node->max = node->val;
	rb_link_node(&node->rb, parent, link);
	rb_insert_augmented(&node->rb, root, &anode_cb);
}

static int anode_upper_bound(const struct model *m, const struct anode *node)
{
	int lo = 0, hi = m->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const struct anode *x = m->v[mid];

		if (node->key < x->key || (node->key == x->key && node->seq < x->seq))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

TEST(rbtree_augmented_max)
{
	struct rb_root root = RB_ROOT;
	struct model *m = calloc(1, sizeof(*m));
	struct prng r;
	long ops = nr_ops(), seq = 0;
	int target = 0;

	T_ASSERT(m);
	prng_seed(&r, t_seed() ^ 0x7262747265650002ULL);
	for (long op = 0; op < ops; op++) {
		if (choose_insert(&r, op, m->n, &target)) {
			struct anode *node = malloc(sizeof(*node));

			T_ASSERT(node);
			node->key = prng_below(&r, 256);
			node->val = prng_below(&r, 1000000);
			node->seq = seq++;
			anode_insert(&root, node);
			model_insert_at(m, anode_upper_bound(m, node), node);
		} else if (prng_below(&r, 5) == 0) {
			/* Change a node's own value in place, then propagate. */
			struct anode *node = m->v[prng_below(&r, (uint64_t)m->n)];

			node->val = prng_below(&r, 1000000);
			anode_cb.propagate(&node->rb, NULL);
		} else {
			struct anode *node = model_remove_at(m, (int)prng_below(&r, (uint64_t)m->n));

			rb_erase_augmented(&node->rb, &root, &anode_cb);
			free(node);
		}
		check_tree(&root, m, offsetof(struct anode, rb));
		check_max(root.rb_node);
	}
	while (m->n)
		free(model_remove_at(m, m->n - 1));
	free(m);
}

/*
 * ---- augmented with a custom RBCOMPUTE (RB_DECLARE_CALLBACKS): subtree
 * sizes, on a cached root, used for order-statistic lookups ----
 */

struct snode {
	struct rb_node rb;
	uint64_t key;
	long seq;
	unsigned long size;	/* nodes in the subtree */
};

static unsigned long snode_size(const struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct snode, rb)->size : 0;
}

/* Kernel RBCOMPUTE semantics: true when @stop_if_same and unchanged. */
static bool snode_compute(struct snode *node, bool stop_if_same)
{
	unsigned long size = 1 + snode_size(node->rb.rb_left) + snode_size(node->rb.rb_right);

	if (stop_if_same && node->size == size)
		return true;
	node->size = size;
	return false;
}

RB_DECLARE_CALLBACKS(static, snode_cb, struct snode, rb, size, snode_compute);

static unsigned long check_size(const struct rb_node *rb)
{
	unsigned long size;

	if (!rb)
		return 0;
	size = 1 + check_size(rb->rb_left) + check_size(rb->rb_right);
	T_EQ(rb_entry(rb, struct snode, rb)->size, size);
	return size;
}

/* The @k-th node (0-based) in order, using the sizes. */
static struct snode *snode_select(const struct rb_root *root, unsigned long k)
{
	const struct rb_node *rb = root->rb_node;

	while (rb) {
		unsigned long left = snode_size(rb->rb_left);

		if (k < left) {
			rb = rb->rb_left;
		} else if (k == left) {
			return rb_entry(rb, struct snode, rb);
		} else {
			k -= left + 1;
			rb = rb->rb_right;
		}
	}
	return NULL;
}

TEST(rbtree_augmented_custom)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct model *m = calloc(1, sizeof(*m));
	struct prng r;
	long ops = nr_ops(), seq = 0;
	int target = 0;

	T_ASSERT(m);
	prng_seed(&r, t_seed() ^ 0x7262747265650003ULL);
	for (long op = 0; op < ops; op++) {
		if (choose_insert(&r, op, m->n, &target)) {
			struct snode *node = malloc(sizeof(*node));
			struct rb_node **link = &root.rb_root.rb_node, *parent = NULL;
			bool leftmost = true;
			int lo = 0, hi;

			T_ASSERT(node);
			node->key = prng_below(&r, 32);
			node->seq = seq++;
			while (*link) {
				struct snode *p = rb_entry(*link, struct snode, rb);

				parent = *link;
				p->size++;
				if (node->key < p->key) {
					link = &parent->rb_left;
				} else {
					link = &parent->rb_right;
					leftmost = false;
				}
			}
			node->size = 1;
			rb_link_node(&node->rb, parent, link);
			rb_insert_augmented_cached(&node->rb, &root, leftmost, &snode_cb);

			for (hi = m->n; lo < hi;) {
				int mid = (lo + hi) / 2;

				if (node->key < ((struct snode *)m->v[mid])->key)
					hi = mid;
				else
					lo = mid + 1;
			}
			model_insert_at(m, lo, node);
		} else {
			struct snode *node = model_remove_at(m, (int)prng_below(&r, (uint64_t)m->n));

			rb_erase_augmented_cached(&node->rb, &root, &snode_cb);
			free(node);
		}
		check_tree(&root.rb_root, m, offsetof(struct snode, rb));
		check_size(root.rb_root.rb_node);
		T_ASSERT(root.rb_leftmost == rb_first(&root.rb_root));
		if (m->n) {
			unsigned long k = prng_below(&r, (uint64_t)m->n);

			T_ASSERT(snode_select(&root.rb_root, k) == m->v[k]);
		}
	}
	while (m->n)
		free(model_remove_at(m, m->n - 1));
	free(m);
}
