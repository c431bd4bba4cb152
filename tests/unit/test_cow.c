/*
 * tests/unit/test_cow.c - copy-on-write (mm/memory_wp.c, mm/memory_copy.c)
 *
 * After fork, a private page is shared read-only by every process that
 * had it; the first write by any of them gives that writer a copy of its
 * own (wp_page_copy) and leaves the others on the original.  A page that
 * nobody else maps any more is taken back without a copy
 * (wp_can_reuse_anon_folio).  PageAnonExclusive records which pages are
 * one process's alone: cleared when fork shares a page, set on every COW
 * copy and on a reused page (kernel-reference §9.1).  A private file page
 * is read from the page cache until written; the write gives an anon
 * copy that no longer follows the file.
 *
 *   P [p0 p1 p2] --fork--> C [p0 p1 p2] --fork--> G [p0 p1 p2]
 *      every page one folio, mapcount 3, until someone writes it
 */
#include <string.h>

#include "tests/unit/mmtest.h"

#define X 0x30000000UL
#define PG(i) (X + (unsigned long)(i) * PAGE_SIZE)

static void expect_file(struct mmtest *t, struct file *f, unsigned long long pos, const char *s)
{
	unsigned char buf[64];
	long n = (long)strlen(s);

	T_LT(n, (long)sizeof(buf));
	T_EQ(mmtest_pread(t, f, pos, buf, (unsigned long)n), n);
	T_MEMEQ(buf, s, n);
}

static bool pte_writable(struct mm_struct *mm, unsigned long addr)
{
	pte_t *pte = pte_offset_map(mm, addr);

	return pte && pte_present(*pte) && pte_write(*pte);
}

/* The picture at the top of this file, write by write. */
TEST(cow_three_generations)
{
	struct task_struct *p, *c, *g;
	struct mm_struct *mp, *mc, *mg;
	struct folio *f0, *f1, *f2, *fp, *fc;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mp = p->mm;
	T_EQ(mmtest_mmap(&t, mp, X, 3 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_write(&t, mp, PG(0), "p0"), UA_OK);
	T_EQ(mmtest_write(&t, mp, PG(1), "p1"), UA_OK);
	T_EQ(mmtest_write(&t, mp, PG(2), "p2"), UA_OK);
	f0 = mmtest_folio_at(mp, PG(0));
	T_ASSERT(PageAnonExclusive(f0));
	T_ASSERT(pte_writable(mp, PG(0)));

	c = mmtest_fork(&t, p);
	g = mmtest_fork(&t, c);
	mc = c->mm;
	mg = g->mm;
	T_EQ(machine->frames_in_use, 3);
	for (int i = 0; i < 3; i++) {
		struct folio *f = mmtest_folio_at(mp, PG(i));

		T_ASSERT(f != NULL);
		T_ASSERT(mmtest_folio_at(mc, PG(i)) == f);
		T_ASSERT(mmtest_folio_at(mg, PG(i)) == f);
		T_EQ(folio_mapcount(f), 3);
		T_EQ(folio_ref_count(f), 3);
		T_ASSERT(!PageAnonExclusive(f));
		T_ASSERT(!pte_writable(mp, PG(i)));
		T_ASSERT(!pte_writable(mc, PG(i)));
		T_ASSERT(!pte_writable(mg, PG(i)));
	}
	f1 = mmtest_folio_at(mp, PG(1));
	f2 = mmtest_folio_at(mp, PG(2));
	MMTEST_CHECK(&t);

	/* Page 0: all three write, in turn. */
	T_EQ(mmtest_write(&t, mp, PG(0), "parent"), UA_OK);
	fp = mmtest_folio_at(mp, PG(0));
	T_ASSERT(fp != f0);
	T_ASSERT(PageAnonExclusive(fp));
	T_EQ(folio_mapcount(fp), 1);
	T_EQ(folio_mapcount(f0), 2);
	T_ASSERT(folio_anon_vma(fp) == mp->mmap->anon_vma);
	T_EQ(mmtest_write(&t, mc, PG(0), "child"), UA_OK);
	fc = mmtest_folio_at(mc, PG(0));
	T_ASSERT(fc != f0 && fc != fp);
	T_ASSERT(PageAnonExclusive(fc));
	T_ASSERT(folio_anon_vma(fc) == mc->mmap->anon_vma);
	T_EQ(folio_mapcount(f0), 1);
	T_EQ(folio_ref_count(f0), 1);
	T_ASSERT(!PageAnonExclusive(f0));
	/* G is the last one on f0: it takes the page back, no copy. */
	T_EQ(mmtest_write(&t, mg, PG(0), "grandchild"), UA_OK);
	T_ASSERT(mmtest_folio_at(mg, PG(0)) == f0);
	T_ASSERT(PageAnonExclusive(f0));
	T_ASSERT(pte_writable(mg, PG(0)));
	T_ASSERT(folio_anon_vma(f0) == mg->mmap->anon_vma);	/* folio_move_anon_rmap */
	T_EQ(machine->frames_in_use, 5);
	mmtest_expect_mem(&t, mp, PG(0), "parent");
	mmtest_expect_mem(&t, mc, PG(0), "child");
	mmtest_expect_mem(&t, mg, PG(0), "grandchild");
	MMTEST_CHECK(&t);

	/* Page 1: unwritten, still one folio for all three. */
	for (struct mm_struct *const *m = (struct mm_struct *const[]){ mp, mc, mg, NULL }; *m; m++) {
		mmtest_expect_mem(&t, *m, PG(1), "p1");
		T_ASSERT(mmtest_folio_at(*m, PG(1)) == f1);
	}
	T_EQ(folio_mapcount(f1), 3);

	/* Page 2: C writes; P and G still share the original. */
	T_EQ(mmtest_write(&t, mc, PG(2), "C2"), UA_OK);
	T_ASSERT(mmtest_folio_at(mc, PG(2)) != f2);
	T_ASSERT(mmtest_folio_at(mp, PG(2)) == f2);
	T_ASSERT(mmtest_folio_at(mg, PG(2)) == f2);
	T_EQ(folio_mapcount(f2), 2);
	T_ASSERT(!PageAnonExclusive(f2));
	mmtest_expect_mem(&t, mp, PG(2), "p2");
	mmtest_expect_mem(&t, mg, PG(2), "p2");
	mmtest_expect_mem(&t, mc, PG(2), "C2");
	T_EQ(machine->frames_in_use, 6);
	MMTEST_CHECK(&t);

	/* The other sharers exit: G's writes reuse f1 and f2 in place. */
	mmtest_exit(&t, p);
	mmtest_exit(&t, c);
	T_EQ(machine->frames_in_use, 3);
	T_EQ(folio_mapcount(f1), 1);
	T_EQ(folio_ref_count(f1), 1);
	T_ASSERT(!PageAnonExclusive(f1));
	T_ASSERT(!pte_writable(mg, PG(1)));
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, mg, PG(1), "G1"), UA_OK);
	T_EQ(mmtest_write(&t, mg, PG(2), "G2"), UA_OK);
	T_ASSERT(mmtest_folio_at(mg, PG(1)) == f1);
	T_ASSERT(mmtest_folio_at(mg, PG(2)) == f2);
	T_ASSERT(PageAnonExclusive(f1) && PageAnonExclusive(f2));
	T_ASSERT(pte_writable(mg, PG(1)) && pte_writable(mg, PG(2)));
	T_EQ(machine->frames_in_use, 3);
	mmtest_expect_mem(&t, mg, PG(0), "grandchild");
	mmtest_expect_mem(&t, mg, PG(1), "G1");
	mmtest_expect_mem(&t, mg, PG(2), "G2");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, g);
	mmtest_end_clean(&t);
}

/*
 * The zero page: a read of an untouched private anon page maps the
 * shared zero page (a special pte, no folio, no frame); a later write
 * replaces it with a new zeroed exclusive folio.  A fork in between
 * shares the zero page too.
 */
TEST(cow_zero_page)
{
	struct task_struct *p, *c;
	struct mm_struct *mm;
	struct folio *f;
	struct mmtest t;
	char buf[16];
	pte_t *pte;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_read(&t, mm, PG(0), buf, 4), UA_OK);
	T_MEMEQ(buf, "\0\0\0\0", 4);
	pte = pte_offset_map(mm, PG(0));
	T_ASSERT(pte && pte_present(*pte) && pte_special(*pte) && !pte_write(*pte));
	T_EQ(pte_pfn(*pte), folio_pfn(machine->zero_folio));
	T_ASSERT(mmtest_folio_at(mm, PG(0)) == NULL);
	T_EQ(machine->frames_in_use, 0);
	T_ASSERT(mm->mmap->anon_vma == NULL);	/* a read needs no anon_vma */
	T_EQ(folio_ref_count(machine->zero_folio), 1);
	T_EQ(mm->rss_stat[MM_ANONPAGES], 0);
	MMTEST_CHECK(&t);

	c = mmtest_fork(&t, p);
	T_EQ(mmtest_read(&t, c->mm, PG(0), buf, 4), UA_OK);
	T_MEMEQ(buf, "\0\0\0\0", 4);
	T_EQ(machine->frames_in_use, 0);

	T_EQ(mmtest_write(&t, mm, PG(0) + 8, "data"), UA_OK);
	f = mmtest_folio_at(mm, PG(0));
	T_ASSERT(f != NULL && f != machine->zero_folio);
	T_ASSERT(folio_test_anon(f));
	T_ASSERT(PageAnonExclusive(f));
	T_EQ(folio_mapcount(f), 1);
	T_EQ(folio_ref_count(f), 1);
	T_ASSERT(pte_writable(mm, PG(0)));
	T_EQ(machine->frames_in_use, 1);
	T_EQ(mm->rss_stat[MM_ANONPAGES], 1);
	T_EQ(mmtest_read(&t, mm, PG(0), buf, 8), UA_OK);
	T_MEMEQ(buf, "\0\0\0\0\0\0\0\0", 8);
	mmtest_expect_mem(&t, mm, PG(0) + 8, "data");
	for (unsigned long i = 12; i < PAGE_SIZE; i++)
		T_EQ(folio_address(f)[i], 0);
	/* The child still sees the zero page. */
	T_ASSERT(mmtest_folio_at(c->mm, PG(0)) == NULL);
	T_EQ(mmtest_read(&t, c->mm, PG(0) + 8, buf, 4), UA_OK);
	T_MEMEQ(buf, "\0\0\0\0", 4);
	/* An untouched page written first: no zero page on the way. */
	T_EQ(mmtest_write(&t, mm, PG(1), "w"), UA_OK);
	T_ASSERT(PageAnonExclusive(mmtest_folio_at(mm, PG(1))));
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	T_EQ(folio_ref_count(machine->zero_folio), 1);
	mmtest_end_clean(&t);
}

/*
 * A private file mapping of a 21-page file holding "file-0", "file-1"
 * and, on page 20, "file-2":
 *   page 0: read (maps the page-cache folio), then written: wp_page_copy
 *   page 1: only read: keeps following the file
 *   page 20: written with no pte yet (outside the 16-page fault-around
 *            window of the read of page 0): do_cow_fault
 * The file never sees the private writes; a later pwrite shows through
 * page 1 but not through the copies.
 */
TEST(cow_private_file)
{
	struct address_space *mapping;
	struct folio *cache0, *cache1, *anon0, *anon2;
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "private", 21 * PAGE_SIZE);
	mapping = f->f_mapping;
	T_EQ(mmtest_pwrite(&t, f, 0, "file-0"), 6);
	T_EQ(mmtest_pwrite(&t, f, PAGE_SIZE, "file-1"), 6);
	T_EQ(mmtest_pwrite(&t, f, 20 * PAGE_SIZE, "file-2"), 6);
	T_EQ(mapping->nrpages, 3);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, 21 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)X);

	mmtest_expect_mem(&t, mm, PG(0), "file-0");
	mmtest_expect_mem(&t, mm, PG(1), "file-1");
	cache0 = mmtest_folio_at(mm, PG(0));
	cache1 = mmtest_folio_at(mm, PG(1));
	T_ASSERT(cache0 && !folio_test_anon(cache0) && cache0->mapping == mapping);
	T_EQ(cache0->index, 0);
	T_ASSERT(cache1 && cache1->mapping == mapping && cache1->index == 1);
	T_EQ(folio_mapcount(cache0), 1);
	T_EQ(folio_ref_count(cache0), 2);	/* page cache + pte */
	T_ASSERT(!pte_writable(mm, PG(0)));
	T_ASSERT(mm->mmap->anon_vma == NULL);
	MMTEST_CHECK(&t);

	T_EQ(mmtest_write(&t, mm, PG(0), "cow-0"), UA_OK);
	anon0 = mmtest_folio_at(mm, PG(0));
	T_ASSERT(anon0 != cache0 && folio_test_anon(anon0));
	T_ASSERT(PageAnonExclusive(anon0));
	T_ASSERT(pte_writable(mm, PG(0)));
	T_EQ(folio_mapcount(cache0), 0);
	T_EQ(folio_ref_count(cache0), 1);
	T_EQ(anon0->index, 0);	/* linear_page_index: the file offset */
	mmtest_expect_mem(&t, mm, PG(0), "cow-00");	/* the byte after is the file's, copied */

	T_ASSERT(mmtest_folio_at(mm, PG(20)) == NULL);
	T_EQ(mmtest_write(&t, mm, PG(20), "cow-2"), UA_OK);
	anon2 = mmtest_folio_at(mm, PG(20));
	T_ASSERT(anon2 && folio_test_anon(anon2) && PageAnonExclusive(anon2));
	T_ASSERT(pte_writable(mm, PG(20)));
	T_EQ(anon2->index, 20);
	mmtest_expect_mem(&t, mm, PG(20), "cow-22");
	T_EQ(mapping->nrpages, 3);
	/* the copy's source stays in the page cache, unmapped */
	T_EQ(folio_mapcount((struct folio *)xa_load(&mapping->i_pages, 20)), 0);
	T_EQ(mm->rss_stat[MM_ANONPAGES], 2);
	T_EQ(mm->rss_stat[MM_FILEPAGES], 1);
	expect_file(&t, f, 0, "file-0");
	expect_file(&t, f, 20 * PAGE_SIZE, "file-2");
	MMTEST_CHECK(&t);

	T_EQ(mmtest_pwrite(&t, f, 0, "new-0"), 5);
	T_EQ(mmtest_pwrite(&t, f, PAGE_SIZE, "new-1"), 5);
	T_EQ(mmtest_pwrite(&t, f, 20 * PAGE_SIZE, "new-2"), 5);
	mmtest_expect_mem(&t, mm, PG(0), "cow-00");
	mmtest_expect_mem(&t, mm, PG(1), "new-11");
	mmtest_expect_mem(&t, mm, PG(20), "cow-22");
	T_ASSERT(mmtest_folio_at(mm, PG(1)) == cache1);
	expect_file(&t, f, 0, "new-00");
	MMTEST_CHECK(&t);

	mmtest_exit(&t, p);
	expect_file(&t, f, PAGE_SIZE, "new-11");
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * MADV_DONTNEED drops a private file page's COW copy: the page follows
 * the file again (the page-cache folio is mapped on the next read), and
 * the copy is freed.
 */
TEST(cow_private_file_dontneed)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct folio *copy;
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "dontneed", PAGE_SIZE);
	T_EQ(mmtest_pwrite(&t, f, 0, "from-file"), 9);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)X);
	T_EQ(mmtest_write(&t, mm, X, "private"), UA_OK);
	copy = mmtest_folio_at(mm, X);
	T_ASSERT(copy && folio_test_anon(copy));
	T_EQ(machine->frames_in_use, 2);
	T_EQ(mmtest_madvise(&t, mm, X, PAGE_SIZE, MADV_DONTNEED), 0);
	T_EQ(machine->frames_in_use, 1);
	T_ASSERT(mmtest_folio_at(mm, X) == NULL);
	mmtest_expect_mem(&t, mm, X, "from-file");
	T_ASSERT(!folio_test_anon(mmtest_folio_at(mm, X)));
	T_EQ(mm->rss_stat[MM_ANONPAGES], 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * A shared anonymous mapping is not copied on write: after fork the
 * parent and the child write into the same shmem page and each sees the
 * other's bytes.
 */
TEST(cow_shared_anon_is_not_copied)
{
	struct task_struct *p, *c;
	struct folio *page;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
			 NULL, 0), (long)X);
	T_EQ(mmtest_write(&t, p->mm, X, "one"), UA_OK);
	page = mmtest_folio_at(p->mm, X);
	T_ASSERT(page && !folio_test_anon(page));
	c = mmtest_fork(&t, p);
	T_EQ(mmtest_write(&t, c->mm, X + 3, "two"), UA_OK);
	T_ASSERT(mmtest_folio_at(c->mm, X) == page);
	T_EQ(folio_mapcount(page), 2);
	mmtest_expect_mem(&t, p->mm, X, "onetwo");
	T_EQ(mmtest_write(&t, p->mm, X + 6, "three"), UA_OK);
	mmtest_expect_mem(&t, c->mm, X, "onetwothree");
	T_EQ(machine->frames_in_use, 1);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_expect_mem(&t, c->mm, X, "onetwothree");
	mmtest_exit(&t, c);
	mmtest_end_clean(&t);
}

/*
 * mprotect back to rw makes an exclusive anon page writable at once
 * (can_change_pte_writable: no write fault needed); a page still shared
 * with a fork child stays read-only and is copied on the next write.
 */
TEST(cow_mprotect_write_upgrade)
{
	struct task_struct *p, *c;
	struct folio *shared;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	T_EQ(mmtest_write(&t, p->mm, PG(0), "shared"), UA_OK);
	c = mmtest_fork(&t, p);
	T_EQ(mmtest_write(&t, p->mm, PG(1), "own"), UA_OK);
	shared = mmtest_folio_at(p->mm, PG(0));
	T_ASSERT(PageAnonExclusive(mmtest_folio_at(p->mm, PG(1))));
	T_ASSERT(!PageAnonExclusive(shared));
	T_EQ(mmtest_mprotect(&t, p->mm, X, 2 * PAGE_SIZE, PROT_READ), 0);
	T_ASSERT(!pte_writable(p->mm, PG(0)) && !pte_writable(p->mm, PG(1)));
	T_EQ(mmtest_mprotect(&t, p->mm, X, 2 * PAGE_SIZE, MMTEST_RW), 0);
	T_ASSERT(pte_writable(p->mm, PG(1)));
	T_ASSERT(!pte_writable(p->mm, PG(0)));
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, p->mm, PG(0), "parent"), UA_OK);
	T_ASSERT(mmtest_folio_at(p->mm, PG(0)) != shared);
	mmtest_expect_mem(&t, c->mm, PG(0), "shared");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}
