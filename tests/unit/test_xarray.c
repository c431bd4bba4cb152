/*
 * tests/unit/test_xarray.c - lib/xarray.c against a naive sorted-array
 * model, with a counting allocator that can be told to fail
 *
 * After every operation: xa->count, xa_empty() and the height (the top
 * shift must be the smallest covering the largest index) match the model,
 * and the allocator's live node count equals the number of nodes the
 * model's indices need exactly (so empty nodes are always freed).  Every
 * so often a full xa_for_each() walk must list the model.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "lib/xarray.h"
#include "tests/test.h"

#define MAX_ENTRIES 4096

/* ---- counting allocator with failure injection ---- */

struct talloc {
	long allocs, frees, live;
	long fail_after;	/* < 0: never fail; else fail once this many more succeeded */
	long failures;
};

static void *talloc_alloc(void *ctx, size_t size)
{
	struct talloc *a = ctx;
	void *p;

	if (a->fail_after == 0) {
		a->failures++;
		return NULL;
	}
	if (a->fail_after > 0)
		a->fail_after--;
	p = malloc(size);
	T_ASSERT(p);
	a->allocs++;
	a->live++;
	return p;
}

static void talloc_free(void *ctx, void *ptr)
{
	struct talloc *a = ctx;

	T_ASSERT(ptr);
	a->frees++;
	a->live--;
	free(ptr);
}

/* ---- the model: (index, entry) sorted by index ---- */

struct model {
	uint64_t idx[MAX_ENTRIES];
	void *val[MAX_ENTRIES];
	int n;
};

/* First position with idx >= index. */
static int model_lower_bound(const struct model *m, uint64_t index)
{
	int lo = 0, hi = m->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->idx[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *model_load(const struct model *m, uint64_t index)
{
	int pos = model_lower_bound(m, index);

	return pos < m->n && m->idx[pos] == index ? m->val[pos] : NULL;
}

static void model_store(struct model *m, uint64_t index, void *entry)
{
	int pos = model_lower_bound(m, index);

	if (pos < m->n && m->idx[pos] == index) {
		m->val[pos] = entry;
		return;
	}
	T_ASSERT(m->n < MAX_ENTRIES);
	memmove(&m->idx[pos + 1], &m->idx[pos], (size_t)(m->n - pos) * sizeof(m->idx[0]));
	memmove(&m->val[pos + 1], &m->val[pos], (size_t)(m->n - pos) * sizeof(m->val[0]));
	m->idx[pos] = index;
	m->val[pos] = entry;
	m->n++;
}

static void *model_erase(struct model *m, uint64_t index)
{
	int pos = model_lower_bound(m, index);
	void *entry;

	if (pos == m->n || m->idx[pos] != index)
		return NULL;
	entry = m->val[pos];
	memmove(&m->idx[pos], &m->idx[pos + 1], (size_t)(m->n - pos - 1) * sizeof(m->idx[0]));
	memmove(&m->val[pos], &m->val[pos + 1], (size_t)(m->n - pos - 1) * sizeof(m->val[0]));
	m->n--;
	return entry;
}

/* ---- expected shape ---- */

/* The smallest top shift (multiple of 6) whose node covers @index. */
static unsigned int min_shift(uint64_t index)
{
	unsigned int shift = 0;

	while ((index >> shift) >= 64)
		shift += 6;
	return shift;
}

/*
 * Nodes a minimal tree needs: one node per level per distinct value of
 * index >> (shift + 6) among the stored indices (that prefix names the
 * node at that shift).
 */
static long expected_nodes(const struct model *m)
{
	unsigned int top;
	long nodes = 0;

	if (!m->n)
		return 0;
	top = min_shift(m->idx[m->n - 1]);
	for (unsigned int shift = 0; shift <= top; shift += 6) {
		unsigned int k = shift + 6;

		if (k >= 64) {
			nodes++;	/* the top node at shift 60 covers everything */
			continue;
		}
		for (int i = 0; i < m->n; i++)
			if (i == 0 || (m->idx[i] >> k) != (m->idx[i - 1] >> k))
				nodes++;
	}
	return nodes;
}

static void check_shape(const struct xarray *xa, const struct model *m, const struct talloc *a)
{
	T_EQ(xa->count, m->n);
	T_EQ(xa_empty(xa), m->n == 0);
	T_EQ(xa->shift, m->n ? min_shift(m->idx[m->n - 1]) : 0);
	T_EQ(a->live, expected_nodes(m));
}

static void check_walk(const struct xarray *xa, const struct model *m)
{
	uint64_t index;
	void *entry;
	int i = 0;

	xa_for_each(xa, index, entry) {
		T_ASSERT(i < m->n);
		T_EQ(index, m->idx[i]);
		T_ASSERT(entry == m->val[i]);
		i++;
	}
	T_EQ(i, m->n);
}

/* An opaque entry: any bit pattern but NULL (never dereferenced). */
static void *make_entry(struct prng *r)
{
	uintptr_t v;

	switch (prng_below(r, 4)) {
	case 0:
		v = (uintptr_t)prng_below(r, 8);	/* tiny, odd values too */
		break;
	case 1:
		v = UINTPTR_MAX - (uintptr_t)prng_below(r, 4);
		break;
	default:
		v = (uintptr_t)prng_next(r);
		break;
	}
	return (void *)(v ? v : 1);
}

/* Index distributions: dense small, clusters around level boundaries, sparse huge. */
static uint64_t random_index(struct prng *r, int mode)
{
	static const uint64_t bases[] = {
		0, 63, 64, 4095, 4096, 1ULL << 18, (1ULL << 24) - 3, 1ULL << 30,
		(1ULL << 36) + 5, (1ULL << 42) - 1, 1ULL << 48, (1ULL << 52) - 40,
	};

	switch (mode) {
	case 0:
		return prng_below(r, 200);
	case 1:
		return bases[prng_below(r, ARRAY_SIZE(bases))] + prng_below(r, 80);
	case 2:
		return prng_below(r, 1ULL << 52);
	default:
		/* Occasionally the whole 64-bit range, including its top. */
		return prng_below(r, 4) == 0 ? UINT64_MAX - prng_below(r, 70) : prng_next(r);
	}
}

static long nr_ops(void)
{
	return (long)t_param("xa_ops", t_long() ? 200000 : 20000);
}

static void run_random(int mode_mask, uint64_t salt)
{
	struct talloc a = { .fail_after = -1 };
	struct model *m = calloc(1, sizeof(*m));
	struct xarray xa;
	struct prng r;
	long ops = nr_ops(), enomem = 0, stores = 0, erases = 0, finds = 0;
	int target = 0;

	T_ASSERT(m);
	prng_seed(&r, t_seed() ^ salt);
	xa_init(&xa, talloc_alloc, talloc_free, &a);
	for (long op = 0; op < ops; op++) {
		int mode;
		uint64_t index;

		do
			mode = (int)prng_below(&r, 4);
		while (!(mode_mask & (1 << mode)));
		index = random_index(&r, mode);
		if (op % 1000 == 0)
			target = (int)prng_below(&r, 1500);

		switch (prng_below(&r, 6)) {
		case 0:
		case 1: {
			/* Store; sometimes with an allocator that fails soon. */
			void *entry = make_entry(&r);
			long live = a.live;
			int ret;

			if (m->n > target && prng_below(&r, 2) == 0 && m->n > 0)
				index = m->idx[prng_below(&r, (uint64_t)m->n)];	/* replace */
			if (prng_below(&r, 4) == 0)
				a.fail_after = (long)prng_below(&r, 4);
			ret = xa_store(&xa, index, entry);
			a.fail_after = -1;
			if (ret == -ENOMEM) {
				/* Unchanged: same nodes, same contents. */
				T_EQ(a.live, live);
				T_ASSERT(xa_load(&xa, index) == model_load(m, index));
				enomem++;
				if (prng_below(&r, 8) == 0)
					check_walk(&xa, m);
			} else {
				T_EQ(ret, 0);
				model_store(m, index, entry);
				stores++;
			}
			break;
		}
		case 2:
		case 3:
			/* Erase: mostly a present index when above target. */
			if (m->n && (m->n > target || prng_below(&r, 3) == 0))
				index = m->idx[prng_below(&r, (uint64_t)m->n)];
			T_ASSERT(xa_erase(&xa, index) == model_erase(m, index));
			erases++;
			break;
		case 4:
			if (m->n && prng_below(&r, 2) == 0)
				index = m->idx[prng_below(&r, (uint64_t)m->n)];
			T_ASSERT(xa_load(&xa, index) == model_load(m, index));
			break;
		default: {
			/* Find from a random or existing index, random max. */
			uint64_t i = index, max;
			int pos;
			void *entry;

			if (m->n && prng_below(&r, 2) == 0)
				i = m->idx[prng_below(&r, (uint64_t)m->n)] + prng_below(&r, 3) - 1;
			max = prng_below(&r, 3) == 0 ? UINT64_MAX : i + prng_below(&r, 1ULL << 20);
			if (max < i)
				max = UINT64_MAX;
			if (prng_below(&r, 16) == 0)
				max = i - 1;	/* empty range (or everything when i == 0) */
			index = i;
			entry = xa_find(&xa, &index, max);
			pos = model_lower_bound(m, i);
			if (pos < m->n && i <= max && m->idx[pos] <= max) {
				T_ASSERT(entry == m->val[pos]);
				T_EQ(index, m->idx[pos]);
			} else {
				T_ASSERT(entry == NULL);
				T_EQ(index, i);
			}
			finds++;
			break;
		}
		}
		check_shape(&xa, m, &a);
		if (op % 64 == 0)
			check_walk(&xa, m);
	}
	check_walk(&xa, m);
	if (t_verbose())
		t_log("%ld ops: %ld stores, %ld -ENOMEM, %ld erases, %ld finds; %ld node allocs",
		      ops, stores, enomem, erases, finds, a.allocs);
	/* Small dense indices rarely need a new node, so failures are rare there. */
	if (mode_mask & (1 << 2))
		T_ASSERT(enomem > 0);

	/* Destroy frees every node; the array is reusable afterwards. */
	xa_destroy(&xa);
	T_EQ(a.live, 0);
	T_EQ(a.allocs, a.frees);
	T_ASSERT(xa_empty(&xa));
	T_EQ(xa.count, 0);
	T_EQ(xa_store(&xa, 12345, (void *)m), 0);
	T_ASSERT(xa_load(&xa, 12345) == (void *)m);
	xa_destroy(&xa);
	T_EQ(a.live, 0);
	free(m);
}

TEST(xa_random_small)
{
	run_random(1 << 0, 0x7861000000000001ULL);
}

TEST(xa_random_clustered)
{
	run_random(1 << 1 | 1 << 0, 0x7861000000000002ULL);
}

TEST(xa_random_sparse)
{
	run_random(1 << 2 | 1 << 1 | 1 << 3, 0x7861000000000003ULL);
}

/* Erase everything one by one: every node is freed and the height shrinks. */
TEST(xa_erase_all_frees_nodes)
{
	static const uint64_t idx[] = { 0, 1, 63, 64, 4096, 1ULL << 40, (1ULL << 52) - 1,
					UINT64_MAX, 1ULL << 63, 777 };
	struct talloc a = { .fail_after = -1 };
	struct model m = { .n = 0 };
	struct xarray xa;

	xa_init(&xa, talloc_alloc, talloc_free, &a);
	T_ASSERT(xa_load(&xa, 0) == NULL);
	T_ASSERT(xa_erase(&xa, 5) == NULL);
	T_EQ(xa_store(&xa, 5, NULL), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(idx); i++) {
		T_EQ(xa_store(&xa, idx[i], (void *)(uintptr_t)(i + 1)), 0);
		model_store(&m, idx[i], (void *)(uintptr_t)(i + 1));
		check_shape(&xa, &m, &a);
		check_walk(&xa, &m);
	}
	/* Erase from the largest down: the height shrinks step by step. */
	for (size_t i = ARRAY_SIZE(idx); i-- > 0;) {
		T_ASSERT(xa_erase(&xa, idx[i]) == (void *)(uintptr_t)(i + 1));
		model_erase(&m, idx[i]);
		check_shape(&xa, &m, &a);
		check_walk(&xa, &m);
	}
	T_ASSERT(xa_empty(&xa));
	T_EQ(a.live, 0);
	xa_destroy(&xa);
	T_EQ(a.allocs, a.frees);
}

/*
 * Every possible failure point of one store that needs many nodes (growing
 * from a small tree to index 2^52 - 1 and to UINT64_MAX): the array is
 * unchanged and nothing leaks; the first unlimited try succeeds.
 */
TEST(xa_store_enomem_every_point)
{
	static const uint64_t targets[] = { (1ULL << 52) - 1, UINT64_MAX, 64, 1ULL << 30 };

	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct talloc a = { .fail_after = -1 };
		struct model m = { .n = 0 };
		struct xarray xa;
		long fails = 0;

		xa_init(&xa, talloc_alloc, talloc_free, &a);
		T_EQ(xa_store(&xa, 3, (void *)1), 0);
		model_store(&m, 3, (void *)1);
		for (long k = 0;; k++) {
			long live = a.live, allocs = a.allocs;
			int ret;

			a.fail_after = k;
			ret = xa_store(&xa, targets[t], (void *)2);
			a.fail_after = -1;
			if (ret == 0) {
				model_store(&m, targets[t], (void *)2);
				T_EQ(a.allocs - allocs, k);	/* needed exactly k nodes */
				break;
			}
			T_EQ(ret, -ENOMEM);
			T_EQ(a.live, live);
			check_shape(&xa, &m, &a);
			check_walk(&xa, &m);
			fails++;
		}
		T_GT(fails, 0);
		check_shape(&xa, &m, &a);
		check_walk(&xa, &m);
		xa_destroy(&xa);
		T_EQ(a.live, 0);
	}
}

/* The default allocator (malloc/free); leaks show up under LeakSanitizer. */
TEST(xa_default_allocator)
{
	struct xarray xa;
	uint64_t index = 0, n = 0;
	void *entry;

	xa_init(&xa, NULL, NULL, NULL);
	for (uint64_t i = 0; i < 3000; i++)
		T_EQ(xa_store(&xa, i * 977 % 5000 + (i % 7 == 0 ? 1ULL << 45 : 0), (void *)(i + 1)), 0);
	T_EQ(xa.count, 3000);
	xa_for_each(&xa, index, entry) {
		/* Erasing the current entry during the walk is allowed. */
		if (n % 2 == 0)
			T_ASSERT(xa_erase(&xa, index) == entry);
		n++;
	}
	T_EQ(n, 3000);
	T_EQ(xa.count, 1500);
	index = 1ULL << 45;
	T_ASSERT(xa_find(&xa, &index, UINT64_MAX) != NULL);
	T_GE(index, 1ULL << 45);
	xa_destroy(&xa);
	T_ASSERT(xa_empty(&xa));
}
