/*
 * tests/unit/test_pgtable.c - 4-level page tables (mm/pgtable.c)
 *
 * An access walks pgd -> pud -> pmd -> pte; a mapping that straddles a
 * table boundary needs a table on each side, and an off-by-one in an index
 * or in free_pgd_range's floor/ceiling arithmetic shows only there: one
 * page's data lands in the other's slot, or a table still serving a
 * neighbour is freed under it.  mm->nr_pgtables counts every table of the
 * mm, the pgd included.
 */
#include <string.h>

#include "tests/unit/mmtest.h"

/*
 * Two pages straddling a boundary B of the given size:
 *
 *      B - 4K        B         B + 4K
 *        [ "lo..." | "hi..." ]
 *      table i       table i+1   (at every level the boundary crosses)
 *
 * A write across B lands half in each page and reads back whole.
 */
struct straddle {
	const char *what;
	unsigned long boundary;
	unsigned long tables;	/* pgd + puds + pmds + ptes once both pages are faulted */
};

static void straddle_one(const struct straddle *s)
{
	unsigned long b = s->boundary;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[64];
	long a;

	if (t_verbose())
		t_log("%s: boundary %#lx", s->what, b);
	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mm->nr_pgtables, 1);
	a = mmtest_mmap(&t, mm, b - PAGE_SIZE, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0);
	T_EQ(a, b - PAGE_SIZE);
	T_EQ(mm->nr_pgtables, 1);	/* mmap allocates no table */
	T_EQ(mmtest_write(&t, mm, b - PAGE_SIZE, "lo-page"), UA_OK);
	T_EQ(mmtest_write(&t, mm, b, "hi-page"), UA_OK);
	T_EQ(mmtest_write(&t, mm, b - 4, "ACROSS!!"), UA_OK);
	T_EQ(mm->nr_pgtables, s->tables);
	T_EQ(machine->frames_in_use, 2);
	T_ASSERT(mmtest_folio_at(mm, b - PAGE_SIZE) != NULL);
	T_ASSERT(mmtest_folio_at(mm, b) != NULL);
	T_ASSERT(mmtest_folio_at(mm, b - PAGE_SIZE) != mmtest_folio_at(mm, b));
	T_ASSERT(walk_pte_table(mm, b - PAGE_SIZE) != walk_pte_table(mm, b));
	T_EQ(mmtest_read(&t, mm, b - PAGE_SIZE, buf, 7), UA_OK);
	T_STREQ(buf, "lo-page");
	T_EQ(mmtest_read(&t, mm, b - 4, buf, 8), UA_OK);
	T_STREQ(buf, "ACROSS!!");
	T_EQ(mmtest_read(&t, mm, b + 4, buf, 3), UA_OK);
	T_STREQ(buf, "age");
	T_MEMEQ(folio_address(mmtest_folio_at(mm, b - PAGE_SIZE)) + PAGE_SIZE - 4, "ACRO", 4);
	T_MEMEQ(folio_address(mmtest_folio_at(mm, b)), "SS!!age", 7);
	MMTEST_CHECK(&t);

	/* Nothing else in the mm: munmap frees every table but the pgd. */
	T_EQ(mmtest_munmap(&t, mm, b - PAGE_SIZE, 2 * PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 1);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 1);
	T_EQ(machine->frames_in_use, 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	mmtest_end(&t);
}

TEST(pgtable_straddle_boundaries)
{
	static const struct straddle cases[] = {
		/* 2 MiB: one pud, one pmd, two pte tables */
		{ "PMD (2 MiB)", 0x1000200000UL, 1 + 1 + 1 + 2 },
		/* 1 GiB: one pud, two pmds, two pte tables */
		{ "PUD (1 GiB)", 0x1040000000UL, 1 + 1 + 2 + 2 },
		/* 512 GiB: two puds, two pmds, two pte tables */
		{ "PGD (512 GiB)", 0x10000000000UL, 1 + 2 + 2 + 2 },
		/* the lowest user page tables: the first 2 MiB boundary */
		{ "first PMD", PMD_SIZE, 1 + 1 + 1 + 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		straddle_one(&cases[i]);
}

/*
 * The last page of the user address space, [TASK_SIZE - 4K, TASK_SIZE):
 * pgd slot 255, pud/pmd/pte slot 511 but one.  It maps and holds data;
 * TASK_SIZE itself is never user memory.
 */
TEST(pgtable_top_of_address_space)
{
	unsigned long top = TASK_SIZE - PAGE_SIZE;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[16];

	T_EQ(top, 0x7fffffffe000UL);
	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, top, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     -ENOMEM);
	T_EQ(mmtest_mmap(&t, mm, top, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)top);
	T_EQ(mmtest_write(&t, mm, TASK_SIZE - 9, "the-top!"), UA_OK);
	T_EQ(mmtest_read(&t, mm, TASK_SIZE - 9, buf, 8), UA_OK);
	T_STREQ(buf, "the-top!");
	T_EQ(mmtest_read(&t, mm, top, buf, 1), UA_OK);
	T_EQ(buf[0], 0);
	T_EQ(pt_index(top, 4), 255);
	T_EQ(pt_index(top, 1), 510);
	T_EQ(mm->nr_pgtables, 4);
	/* One byte past the end of user memory. */
	T_EQ(mmtest_write(&t, mm, TASK_SIZE - 1, "xy"), UA_SIGSEGV);
	T_EQ(mmtest_read(&t, mm, TASK_SIZE - 1, buf, 1), UA_OK);
	T_EQ(buf[0], 'x');
	T_EQ(mmtest_read(&t, mm, TASK_SIZE, buf, 1), UA_SIGSEGV);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	T_EQ(machine->frames_in_use, 0);
	mmtest_end(&t);
}

/*
 * One rw anon page at @a and one at @b, each a VMA of its own; both
 * mapped first, then written with @sa and @sb.
 */
static void map_two_pages(struct mmtest *t, struct mm_struct *mm, unsigned long a, const char *sa,
			  unsigned long b, const char *sb)
{
	T_EQ(mmtest_mmap(t, mm, a, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)a);
	T_EQ(mmtest_mmap(t, mm, b, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)b);
	T_EQ(mmtest_write(t, mm, a, sa), UA_OK);
	T_EQ(mmtest_write(t, mm, b, sb), UA_OK);
}

/*
 * free_pgd_range's floor and ceiling: two VMAs share one PTE table.
 *
 *   0x10000000      0x10002000           (same 2 MiB, same PTE table)
 *   [ A ]    hole   [ B ]
 *
 * munmap A: B still starts inside the table, so the table stays and B's
 * pte with it.  munmap B: nothing is left; every table but the pgd goes.
 */
TEST(pgtable_shared_pte_table_floor_ceiling)
{
	unsigned long a = 0x10000000UL, b = 0x10002000UL;
	struct task_struct *p;
	struct mm_struct *mm;
	struct ptdesc *table;
	struct mmtest t;
	char buf[16];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_two_pages(&t, mm, a, "page-A", b, "page-B");
	T_EQ(mm->map_count, 2);
	table = walk_pte_table(mm, a);
	T_ASSERT(table && table == walk_pte_table(mm, b));
	T_EQ(mm->nr_pgtables, 4);

	T_EQ(mmtest_munmap(&t, mm, a, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 4);
	T_ASSERT(walk_pte_table(mm, b) == table);
	T_EQ(mmtest_read(&t, mm, b, buf, 6), UA_OK);
	T_STREQ(buf, "page-B");
	T_EQ(mmtest_read(&t, mm, a, buf, 1), UA_SIGSEGV);
	T_EQ(machine->frames_in_use, 1);
	MMTEST_CHECK(&t);

	T_EQ(mmtest_munmap(&t, mm, b, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 1);
	T_ASSERT(walk_pte_table(mm, b) == NULL);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 1);
	MMTEST_CHECK(&t);

	/* The other order: B goes first, A keeps the table. */
	map_two_pages(&t, mm, a, "again-A", b, "again-B");
	T_EQ(mmtest_munmap(&t, mm, b, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 4);
	T_EQ(mmtest_read(&t, mm, a, buf, 7), UA_OK);
	T_STREQ(buf, "again-A");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	T_EQ(machine->frames_in_use, 0);
	mmtest_end(&t);
}

/*
 * Neighbours in different PTE tables under one PMD table:
 *
 *   0x10000000 (PTE table 1)   0x10200000 (PTE table 2)
 *   [ A ]                      [ B ]
 *
 * munmap A frees A's PTE table only: the PMD table still serves B.
 */
TEST(pgtable_neighbour_keeps_upper_tables)
{
	unsigned long a = 0x10000000UL, b = 0x10200000UL;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[16];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_two_pages(&t, mm, a, "A", b, "B");
	T_EQ(mm->nr_pgtables, 5);
	T_EQ(mmtest_munmap(&t, mm, a, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 4);
	T_ASSERT(walk_pte_table(mm, a) == NULL);
	T_EQ(mmtest_read(&t, mm, b, buf, 1), UA_OK);
	T_EQ(buf[0], 'B');
	MMTEST_CHECK(&t);
	T_EQ(mmtest_munmap(&t, mm, b, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 1);
	MMTEST_CHECK(&t);

	/*
	 * One level up: 0x40000000 and 0x80000000 are in different PMD
	 * tables under one PUD table.  munmap A frees A's PTE and PMD
	 * tables; the PUD table still serves B.
	 */
	a = 0x40000000UL;
	b = 0x80000000UL;
	map_two_pages(&t, mm, a, "A", b, "B");
	T_EQ(mm->nr_pgtables, 1 + 1 + 2 + 2);
	T_EQ(mmtest_munmap(&t, mm, a, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 1 + 1 + 1 + 1);
	T_EQ(mmtest_read(&t, mm, b, buf, 1), UA_OK);
	T_EQ(buf[0], 'B');
	MMTEST_CHECK(&t);
	/* and B's tables go when B does, A's floor notwithstanding */
	T_EQ(mmtest_mmap(&t, mm, a, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)a);
	T_EQ(mmtest_write(&t, mm, a, "A"), UA_OK);
	T_EQ(mmtest_munmap(&t, mm, b, PAGE_SIZE), 0);
	T_EQ(mm->nr_pgtables, 1 + 1 + 1 + 1);
	T_ASSERT(walk_pte_table(mm, a) != NULL);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	mmtest_end(&t);
}

/*
 * A page-table allocation that fails makes the fault fail with ENOMEM
 * (VM_FAULT_OOM): no frame, no anon_vma, no pte.  Failing the pud (after
 * 0), the pmd (after 1) or the pte table (after 2): the levels allocated
 * before the failure stay (as in the kernel, they are reused by the next
 * fault and freed at exit), and the next attempt succeeds.
 */
TEST(pgtable_inject_fault_enomem)
{
	for (unsigned long after = 0; after < 3; after++) {
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
		mmtest_inject(&t, VM_ALLOC_PGTABLE, after, 1);
		T_EQ(mmtest_write(&t, mm, (unsigned long)a, "data"), UA_ENOMEM);
		T_ASSERT(machine->alloc_failed);
		T_EQ(mm->nr_pgtables, 1 + after);
		T_EQ(machine->live[VM_ALLOC_PGTABLE], 1 + after);
		T_EQ(machine->frames_in_use, 0);
		T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
		T_ASSERT(mmtest_folio_at(mm, (unsigned long)a) == NULL);
		T_EQ(mm->rss_stat[MM_ANONPAGES], 0);
		MMTEST_CHECK(&t);

		/* A read fault needs the same tables (for the zero page). */
		mmtest_inject(&t, VM_ALLOC_PGTABLE, 0, 1);
		T_EQ(mmtest_read(&t, mm, (unsigned long)a, buf, 4), UA_ENOMEM);
		T_EQ(mm->nr_pgtables, 1 + after);
		T_EQ(machine->inject[VM_ALLOC_PGTABLE].times, 0);
		MMTEST_CHECK(&t);

		T_EQ(mmtest_write(&t, mm, (unsigned long)a, "data"), UA_OK);
		T_EQ(mm->nr_pgtables, 4);
		T_EQ(machine->frames_in_use, 1);
		T_EQ(mmtest_read(&t, mm, (unsigned long)a, buf, 4), UA_OK);
		T_STREQ(buf, "data");
		MMTEST_CHECK(&t);
		mmtest_exit(&t, p);
		T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
		T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
		T_EQ(machine->live[VM_ALLOC_AVC], 0);
		T_EQ(machine->frames_in_use, 0);
		mmtest_end(&t);
	}
}
