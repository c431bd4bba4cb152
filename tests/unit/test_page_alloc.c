/*
 * tests/unit/test_page_alloc.c - the frame allocator (mm/page_alloc.c)
 *
 * The machine has exactly the frames its config says, split over two
 * nodes, each node's free memory kept as buddy blocks of 2^order frames.
 * ENOMEM is real: the frame after the last one is refused.  Freeing every
 * frame again must coalesce the buddies back into the blocks the machine
 * started with, or a later order-9 (THP-sized) allocation fails on a
 * machine that is in fact empty.  vm_inject makes exactly the chosen
 * allocations fail, and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/mmtest.h"

#define NR_FRAMES 3000UL	/* 1500 per node: not a power of two, so blocks of many orders */

/* The free lists of every node, as counts of blocks per order. */
struct free_shape {
	unsigned long nr_free[MAX_NUMNODES][NR_PAGE_ORDERS];
	unsigned long free_pages[MAX_NUMNODES];
};

static void free_shape_take(struct free_shape *s)
{
	memset(s, 0, sizeof(*s));
	for (int nid = 0; nid < machine->nr_nodes; nid++) {
		struct pglist_data *pgdat = &machine->node_data[nid];

		s->free_pages[nid] = pgdat->nr_free_pages;
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long n = 0;
			struct folio *f;

			/* the list and its counter must agree */
			list_for_each_entry(f, &pgdat->free_area[o].free_list, lru) {
				T_ASSERT(folio_test_buddy(f));
				T_EQ(f->private, o);
				T_EQ(folio_pfn(f) & ((1UL << o) - 1), 0);
				n++;
			}
			T_EQ(n, pgdat->free_area[o].nr_free);
			s->nr_free[nid][o] = n;
		}
	}
}

static void free_shape_expect_equal(const struct free_shape *a, const struct free_shape *b)
{
	for (int nid = 0; nid < machine->nr_nodes; nid++) {
		T_EQ(a->free_pages[nid], b->free_pages[nid]);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			T_EQ(a->nr_free[nid][o], b->nr_free[nid][o]);
	}
}

/*
 * 3000 frames: node 0 spans pfns [1024, 2524), node 1 [3072, 4572).
 * 1500 = 1024 + 256 + 128 + 64 + 16 + 8 + 4: one block of each of the
 * orders 10, 8, 7, 6, 4, 3, 2 per node, and nothing else.
 */
TEST(page_alloc_initial_free_lists)
{
	static const unsigned long expect[NR_PAGE_ORDERS] = {
		[2] = 1, [3] = 1, [4] = 1, [6] = 1, [7] = 1, [8] = 1, [10] = 1,
	};
	struct free_shape s;
	struct mmtest t;

	mmtest_begin(&t, NR_FRAMES);
	T_EQ(machine->nr_nodes, 2);
	T_EQ(machine->node_data[0].node_start_pfn, 1024);
	T_EQ(machine->node_data[0].node_spanned_pages, 1500);
	T_EQ(machine->node_data[1].node_start_pfn, 3072);
	T_EQ(machine->node_data[1].node_spanned_pages, 1500);
	free_shape_take(&s);
	for (int nid = 0; nid < 2; nid++) {
		T_EQ(s.free_pages[nid], 1500);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			T_EQ(s.nr_free[nid][o], expect[o]);
	}
	T_EQ(machine->frames_in_use, 0);
	mmtest_end(&t);
}

/*
 * Take order-0 frames until the allocator says no: exactly NR_FRAMES of
 * them, every one distinct, every one a real frame of a node (never the
 * zero page at pfn 0).  Give them back in a scrambled order: the buddies
 * coalesce into the initial blocks again.
 */
TEST(page_alloc_exhaust_and_coalesce)
{
	struct folio **got = calloc(NR_FRAMES + 1, sizeof(*got));
	unsigned char *seen;
	struct free_shape before, after;
	struct mmtest t;
	unsigned long n = 0;

	T_ASSERT(got);
	mmtest_begin(&t, NR_FRAMES);
	seen = calloc(machine->max_pfn, 1);
	T_ASSERT(seen);
	free_shape_take(&before);
	T_ASSERT(!machine->alloc_failed);
	for (;;) {
		struct folio *f;

		f = mmtest_folio_alloc(&t, 0, 0, -1);
		if (!f)
			break;
		T_LT(n, NR_FRAMES);
		T_ASSERT(!seen[folio_pfn(f)]);
		seen[folio_pfn(f)] = 1;
		T_ASSERT(!folio_test_buddy(f));
		T_EQ(folio_order(f), 0);
		T_EQ(folio_ref_count(f), 1);
		T_EQ(folio_mapcount(f), 0);
		T_ASSERT(f != machine->zero_folio);
		got[n++] = f;
	}
	T_EQ(n, NR_FRAMES);
	T_EQ(machine->frames_in_use, NR_FRAMES);
	T_EQ(machine->live[VM_ALLOC_PAGE], NR_FRAMES);
	T_EQ(machine->node_data[0].nr_free_pages, 0);
	T_EQ(machine->node_data[1].nr_free_pages, 0);
	T_ASSERT(machine->alloc_failed);
	/* Node 0 is filled first (nid < 0 means "any, starting at 0"). */
	T_EQ(folio_nid(got[0]), 0);
	T_EQ(folio_nid(got[NR_FRAMES - 1]), 1);

	/* Free the even ones, then the odd ones backwards. */
	for (unsigned long i = 0; i < n; i += 2)
		mmtest_folio_put(&t, got[i]);
	for (long i = (long)n - 1; i >= 1; i -= 2)
		mmtest_folio_put(&t, got[i]);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_PAGE], 0);
	free_shape_take(&after);
	free_shape_expect_equal(&before, &after);
	free(seen);
	free(got);
	mmtest_end(&t);
}

/*
 * An order-9 folio (2 MiB) on an empty machine: 512 frames, naturally
 * aligned, a head flag, counted 512 times.  When every other frame of
 * the machine is taken, half the memory is free but no order-9 block
 * exists: the allocation fails (the model does no compaction).
 */
TEST(page_alloc_order9)
{
	struct folio **got = calloc(NR_FRAMES, sizeof(*got));
	struct free_shape before, after;
	struct folio *big;
	struct mmtest t;
	unsigned long n = 0;

	T_ASSERT(got);
	mmtest_begin(&t, NR_FRAMES);
	free_shape_take(&before);
	big = mmtest_folio_alloc(&t, __GFP_ZERO, 9, 1);
	T_ASSERT(big);
	T_EQ(folio_order(big), 9);
	T_EQ(folio_nr_pages(big), 512);
	T_EQ(folio_pfn(big) % 512, 0);
	T_EQ(folio_nid(big), 1);
	T_ASSERT(folio_test_flag(big, PG_head));
	T_EQ(folio_ref_count(big), 1);
	T_EQ(machine->frames_in_use, 512);
	T_EQ(machine->node_data[1].nr_free_pages, 1500 - 512);
	for (unsigned long i = 0; i < 512 * PAGE_SIZE; i++)
		T_EQ(folio_address(big)[i], 0);
	mmtest_folio_put(&t, big);
	T_EQ(machine->frames_in_use, 0);
	free_shape_take(&after);
	free_shape_expect_equal(&before, &after);

	/* Fragment: take everything, give back every second frame. */
	for (;;) {
		struct folio *f;

		f = mmtest_folio_alloc(&t, 0, 0, -1);
		if (!f)
			break;
		got[n++] = f;
	}
	T_EQ(n, NR_FRAMES);
	for (unsigned long i = 0; i < n; i++)
		if (folio_pfn(got[i]) % 2)
			mmtest_folio_put(&t, got[i]);
	T_EQ(machine->frames_in_use, NR_FRAMES / 2);
	machine->alloc_failed = false;
	big = mmtest_folio_alloc(&t, 0, 9, -1);
	T_ASSERT(big == NULL);
	T_ASSERT(machine->alloc_failed);
	big = mmtest_folio_alloc(&t, 0, 1, -1);
	T_ASSERT(big == NULL);
	for (unsigned long i = 0; i < n; i++)
		if (folio_pfn(got[i]) % 2 == 0)
			mmtest_folio_put(&t, got[i]);
	T_EQ(machine->frames_in_use, 0);
	free_shape_take(&after);
	free_shape_expect_equal(&before, &after);
	big = mmtest_folio_alloc(&t, 0, 9, -1);
	T_ASSERT(big != NULL);
	mmtest_folio_put(&t, big);
	free(got);
	mmtest_end(&t);
}

/*
 * vm_inject(page, after 3, times 2): allocations 1-3 succeed, 4 and 5
 * fail, 6 on succeed again.  A failed allocation takes no frame; it sets
 * alloc_failed, which stays set until someone clears it.
 */
TEST(page_alloc_inject)
{
	struct folio *f[8];
	struct mmtest t;

	mmtest_begin(&t, 64);
	mmtest_inject(&t, VM_ALLOC_PAGE, 3, 2);
	for (int i = 0; i < 8; i++) {
		f[i] = mmtest_folio_alloc(&t, 0, 0, -1);
		if (i == 3 || i == 4) {
			T_ASSERT(f[i] == NULL);
			T_ASSERT(machine->alloc_failed);
		} else {
			T_ASSERT(f[i] != NULL);
		}
		if (i < 3)
			T_ASSERT(!machine->alloc_failed);
	}
	T_EQ(machine->frames_in_use, 6);
	T_EQ(machine->total[VM_ALLOC_PAGE], 6);
	T_EQ(machine->inject[VM_ALLOC_PAGE].times, 0);
	for (int i = 0; i < 8; i++)
		if (f[i])
			mmtest_folio_put(&t, f[i]);
	T_EQ(machine->frames_in_use, 0);

	/* An injection on the page site does not touch the other sites. */
	mmtest_inject(&t, VM_ALLOC_PAGE, 0, 1);
	{
		void *p = vm_alloc(VM_ALLOC_VMA, 16);

		T_ASSERT(p != NULL);
		vm_free(VM_ALLOC_VMA, p);
	}
	f[0] = mmtest_folio_alloc(&t, 0, 0, -1);
	T_ASSERT(f[0] == NULL);
	f[0] = mmtest_folio_alloc(&t, 0, 0, -1);
	T_ASSERT(f[0] != NULL);
	mmtest_folio_put(&t, f[0]);
	mmtest_end(&t);
}

/*
 * The first write to an anonymous page needs a frame: with the next
 * frame allocation made to fail, the write reports ENOMEM, maps nothing
 * and leaves no frame behind; the same write then succeeds.
 */
TEST(page_alloc_inject_fault)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[8];
	long a;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	a = mmtest_mmap(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON, NULL, 0);
	T_GT(a, 0);
	machine->alloc_failed = false;
	mmtest_inject(&t, VM_ALLOC_PAGE, 0, 1);
	T_EQ(mmtest_write(&t, mm, (unsigned long)a, "hello"), UA_ENOMEM);
	T_ASSERT(machine->alloc_failed);
	T_EQ(machine->frames_in_use, 0);
	T_ASSERT(mmtest_folio_at(mm, (unsigned long)a) == NULL);
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, mm, (unsigned long)a, "hello"), UA_OK);
	T_EQ(machine->frames_in_use, 1);
	T_EQ(mmtest_read(&t, mm, (unsigned long)a, buf, 5), UA_OK);
	T_STREQ(buf, "hello");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	mmtest_end(&t);
}

/*
 * A preferred node that is full falls back to the other node, and only
 * when both are full does the allocation fail.  Free blocks never
 * coalesce across the hole between the nodes.
 */
TEST(page_alloc_node_fallback)
{
	struct folio *got[64], *f;
	struct free_shape before, after;
	struct mmtest t;
	int n = 0;

	mmtest_begin(&t, 64);	/* 32 frames per node */
	free_shape_take(&before);
	for (int i = 0; i < 32; i++) {
		got[n] = mmtest_folio_alloc(&t, 0, 0, 1);
		T_ASSERT(got[n]);
		T_EQ(folio_nid(got[n]), 1);
		n++;
	}
	T_EQ(machine->node_data[1].nr_free_pages, 0);
	f = mmtest_folio_alloc(&t, 0, 0, 1);
	T_ASSERT(f);
	T_EQ(folio_nid(f), 0);
	got[n++] = f;
	while ((f = mmtest_folio_alloc(&t, 0, 0, 1)) != NULL) {
		T_EQ(folio_nid(f), 0);
		got[n++] = f;
	}
	T_EQ(n, 64);
	T_EQ(mmtest_folio_alloc(&t, 0, 0, 0) == NULL, 1);
	for (int i = 0; i < n; i++)
		mmtest_folio_put(&t, got[i]);
	free_shape_take(&after);
	free_shape_expect_equal(&before, &after);
	T_EQ(after.nr_free[0][5], 1);
	T_EQ(after.nr_free[1][5], 1);
	mmtest_end(&t);
}
