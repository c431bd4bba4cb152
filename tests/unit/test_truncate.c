/*
 * tests/unit/test_truncate.c - truncate and mappings (mm/truncate.c,
 * mm/filemap.c, kernel-reference §7, docs/semantics.md "Truncate and
 * mappings")
 *
 * A file of three pages 'a' 'b' 'c', mapped three times by one process:
 *
 *   S  shared, rw       [ a  | b  | c  ]   all three read
 *   V  private, rw      [ a  | B' | C' ]   page 0 read; 1 and 2 written (COW copies)
 *   R  private, r       [    | b  | c  ]   pages 1 and 2 read
 *
 * truncate to 4096 + 100: page 2 is past EOF, page 1 is the partial last
 * page.  Every pte of page 2 goes, the private copy C' included (the
 * even_cows unmap; its survival is the bug of seed 000); B' survives
 * untouched; page 1's tail reads zero through S and R and is never
 * returned by pread; page 2 SIGBUSes everywhere.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/mmtest.h"

#define S 0x50000000UL
#define V 0x50100000UL
#define R 0x50200000UL
#define PG(base, i) ((base) + (unsigned long)(i) * PAGE_SIZE)

/* Truncate (or extend) @f to @len: it succeeds, and i_size follows. */
static void truncate_to(struct mmtest *t, struct file *f, unsigned long long len)
{
	T_EQ(mmtest_truncate(t, f, len), 0);
	T_EQ(i_size_read(f->f_inode), (loff_t)len);
}

/* Write @len bytes of @byte at @pos: all of them are written. */
static void pwrite_fill(struct mmtest *t, struct file *f, unsigned long long pos,
			unsigned char byte, unsigned long len)
{
	T_EQ(mmtest_pfill(t, f, pos, byte, len), (long)len);
}

/* Bytes [from, to) of @buf are all @byte. */
#define EXPECT_BYTES(buf, from, to, byte) do {					\
	for (size_t i_ = (from); i_ < (size_t)(to); i_++)			\
		if ((unsigned char)(buf)[i_] != (unsigned char)(byte))		\
			T_EQ((unsigned char)(buf)[i_], (unsigned char)(byte));	\
} while (0)

/* Read one whole page through a mapping. */
static enum uaccess_fault read_page(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
				    char *page)
{
	return mmtest_read(t, mm, addr, page, PAGE_SIZE);
}

/* The story at the top of this file, then the file grows back. */
TEST(truncate_partial_page_and_mappings)
{
	const unsigned long size = PAGE_SIZE + 100;
	struct address_space *mapping;
	struct folio *b_copy, *c_copy;
	struct task_struct *p;
	struct mm_struct *mm;
	unsigned char ubuf[PAGE_SIZE];
	char *page = malloc(PAGE_SIZE + 1);
	struct file *f;
	struct mmtest t;

	T_ASSERT(page);
	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "trunc", 3 * PAGE_SIZE);
	mapping = f->f_mapping;
	pwrite_fill(&t, f, 0, 'a', PAGE_SIZE);
	pwrite_fill(&t, f, PAGE_SIZE, 'b', PAGE_SIZE);
	pwrite_fill(&t, f, 2 * PAGE_SIZE, 'c', PAGE_SIZE);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, S, 3 * PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)S);
	T_EQ(mmtest_mmap(&t, mm, V, 3 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)V);
	T_EQ(mmtest_mmap(&t, mm, R, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0), (long)R);
	for (int i = 0; i < 3; i++)
		T_EQ(read_page(&t, mm, PG(S, i), page), UA_OK);
	T_EQ(read_page(&t, mm, PG(V, 0), page), UA_OK);
	T_EQ(mmtest_write(&t, mm, PG(V, 1), "priv-1"), UA_OK);
	T_EQ(mmtest_write(&t, mm, PG(V, 2), "priv-2"), UA_OK);
	T_EQ(read_page(&t, mm, PG(R, 1), page), UA_OK);
	T_EQ(read_page(&t, mm, PG(R, 2), page), UA_OK);
	b_copy = mmtest_folio_at(mm, PG(V, 1));
	c_copy = mmtest_folio_at(mm, PG(V, 2));
	T_ASSERT(b_copy && folio_test_anon(b_copy) && c_copy && folio_test_anon(c_copy));
	T_EQ(mapping->nrpages, 3);
	T_EQ(machine->frames_in_use, 5);
	MMTEST_CHECK(&t);

	truncate_to(&t, f, size);
	T_EQ(mapping->nrpages, 2);
	T_ASSERT(xa_load(&mapping->i_pages, 2) == NULL);
	T_ASSERT(xa_load(&mapping->i_pages, 1) != NULL);
	/* No pte of page 2 is left, not even the private copy. */
	T_ASSERT(mmtest_folio_at(mm, PG(S, 2)) == NULL);
	T_ASSERT(mmtest_folio_at(mm, PG(V, 2)) == NULL);
	T_ASSERT(mmtest_folio_at(mm, PG(R, 2)) == NULL);
	/* The private copy of the partial page stays, with its data. */
	T_ASSERT(mmtest_folio_at(mm, PG(V, 1)) == b_copy);
	T_EQ(machine->frames_in_use, 3);	/* cache pages 0, 1 and B' */
	MMTEST_CHECK(&t);

	/* The tail of page 1 reads zero through the shared and the private mapping. */
	T_EQ(read_page(&t, mm, PG(S, 1), page), UA_OK);
	EXPECT_BYTES(page, 0, 100, 'b');
	EXPECT_BYTES(page, 100, PAGE_SIZE, 0);
	T_EQ(read_page(&t, mm, PG(R, 1), page), UA_OK);
	EXPECT_BYTES(page, 0, 100, 'b');
	EXPECT_BYTES(page, 100, PAGE_SIZE, 0);
	T_EQ(read_page(&t, mm, PG(V, 1), page), UA_OK);
	T_MEMEQ(page, "priv-1", 6);
	EXPECT_BYTES(page, 6, PAGE_SIZE, 'b');
	T_EQ(read_page(&t, mm, PG(S, 0), page), UA_OK);
	EXPECT_BYTES(page, 0, PAGE_SIZE, 'a');
	/* pread stops at EOF. */
	T_EQ(mmtest_pread(&t, f, PAGE_SIZE, ubuf, PAGE_SIZE), 100);
	EXPECT_BYTES(ubuf, 0, 100, 'b');
	T_EQ(mmtest_pread(&t, f, size, ubuf, 10), 0);
	T_EQ(mmtest_pread(&t, f, 2 * PAGE_SIZE, ubuf, 10), 0);
	/* Past EOF: SIGBUS through every mapping. */
	T_EQ(mmtest_read(&t, mm, PG(S, 2), page, 1), UA_SIGBUS);
	T_EQ(mmtest_write(&t, mm, PG(S, 2), "x"), UA_SIGBUS);
	T_EQ(mmtest_read(&t, mm, PG(V, 2), page, 1), UA_SIGBUS);
	T_EQ(mmtest_write(&t, mm, PG(V, 2), "x"), UA_SIGBUS);
	T_EQ(mmtest_read(&t, mm, PG(R, 2), page, 1), UA_SIGBUS);
	T_EQ(mapping->nrpages, 2);
	MMTEST_CHECK(&t);

	/* A shared mapping may write beyond EOF within the last page ... */
	T_EQ(mmtest_write(&t, mm, PG(S, 1) + 200, "beyond"), UA_OK);
	T_EQ(mmtest_pread(&t, f, PAGE_SIZE, ubuf, PAGE_SIZE), 100);
	MMTEST_CHECK(&t);

	/* ... and growing the file zeroes those bytes; new pages read zero. */
	truncate_to(&t, f, 3 * PAGE_SIZE);
	T_EQ(read_page(&t, mm, PG(S, 1), page), UA_OK);
	EXPECT_BYTES(page, 0, 100, 'b');
	EXPECT_BYTES(page, 100, PAGE_SIZE, 0);
	T_EQ(read_page(&t, mm, PG(S, 2), page), UA_OK);
	EXPECT_BYTES(page, 0, PAGE_SIZE, 0);
	T_EQ(read_page(&t, mm, PG(V, 2), page), UA_OK);	/* follows the file again */
	EXPECT_BYTES(page, 0, PAGE_SIZE, 0);
	T_ASSERT(!folio_test_anon(mmtest_folio_at(mm, PG(V, 2))));
	T_EQ(read_page(&t, mm, PG(R, 2), page), UA_OK);
	EXPECT_BYTES(page, 0, PAGE_SIZE, 0);
	T_EQ(read_page(&t, mm, PG(V, 1), page), UA_OK);	/* still the private copy */
	T_MEMEQ(page, "priv-1", 6);
	EXPECT_BYTES(page, 6, PAGE_SIZE, 'b');
	T_EQ(mmtest_pread(&t, f, PAGE_SIZE, ubuf, PAGE_SIZE), PAGE_SIZE);
	EXPECT_BYTES(ubuf, 0, 100, 'b');
	EXPECT_BYTES(ubuf, 100, PAGE_SIZE, 0);
	T_EQ(mmtest_pread(&t, f, 2 * PAGE_SIZE, ubuf, 10), 10);
	EXPECT_BYTES(ubuf, 0, 10, 0);
	T_EQ(mapping->nrpages, 3);
	MMTEST_CHECK(&t);

	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_INODE], 0);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	mmtest_end(&t);
	free(page);
}

/*
 * Truncate to a page boundary, then to zero: every page at or past the
 * new EOF leaves the page cache whether or not it was mapped, and the
 * private copies past EOF go with them; those below stay.
 */
TEST(truncate_page_boundary_and_zero)
{
	struct address_space *mapping;
	struct task_struct *p;
	struct mm_struct *mm;
	unsigned char ubuf[8];
	char buf[16];
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "pages", 0);
	mapping = f->f_mapping;
	pwrite_fill(&t, f, 0, 'x', 4 * PAGE_SIZE);
	T_EQ(i_size_read(f->f_inode), 4 * PAGE_SIZE);
	T_EQ(mapping->nrpages, 4);

	/* No mapping at all: pages 2 and 3 simply go. */
	truncate_to(&t, f, 2 * PAGE_SIZE);
	T_EQ(mapping->nrpages, 2);
	T_ASSERT(xa_load(&mapping->i_pages, 2) == NULL && xa_load(&mapping->i_pages, 3) == NULL);
	T_EQ(machine->frames_in_use, 2);
	MMTEST_CHECK(&t);

	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, V, 2 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)V);
	T_EQ(mmtest_write(&t, mm, PG(V, 0), "copy0"), UA_OK);
	T_EQ(mmtest_write(&t, mm, PG(V, 1), "copy1"), UA_OK);
	truncate_to(&t, f, PAGE_SIZE);
	T_EQ(mapping->nrpages, 1);
	T_ASSERT(mmtest_folio_at(mm, PG(V, 1)) == NULL);
	T_EQ(mmtest_read(&t, mm, PG(V, 1), buf, 1), UA_SIGBUS);
	T_EQ(mmtest_read(&t, mm, PG(V, 0), buf, 5), UA_OK);
	T_STREQ(buf, "copy0");
	MMTEST_CHECK(&t);

	truncate_to(&t, f, 0);
	T_EQ(mapping->nrpages, 0);
	T_EQ(mmtest_read(&t, mm, PG(V, 0), buf, 1), UA_SIGBUS);
	T_EQ(mmtest_write(&t, mm, PG(V, 0), "x"), UA_SIGBUS);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(mmtest_pread(&t, f, 0, ubuf, 1), 0);
	MMTEST_CHECK(&t);
	T_EQ(mmtest_munmap(&t, mm, V, 2 * PAGE_SIZE), 0);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	T_EQ(machine->live[VM_ALLOC_DISK], 0);
	T_EQ(machine->live[VM_ALLOC_PGTABLE], 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	mmtest_end(&t);
}

/*
 * A private COW copy past the new EOF that fork made shared: P wrote
 * page 1 of its private mapping, then forked C; both map the same anon
 * copy, read-only.  Truncating to one page must remove it from both
 * (the even_cows unmap walks every VMA of i_mmap, the child's included),
 * and free it.  Page 0, never written, follows the file in both.
 */
TEST(truncate_private_cow_shared_by_fork)
{
	struct task_struct *p, *c;
	struct folio *copy;
	struct file *f;
	struct mmtest t;
	char buf[8];

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "forked", 2 * PAGE_SIZE);
	pwrite_fill(&t, f, 0, 'z', 2 * PAGE_SIZE);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, V, 2 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)V);
	T_EQ(mmtest_read(&t, p->mm, PG(V, 0), buf, 1), UA_OK);
	T_EQ(mmtest_write(&t, p->mm, PG(V, 1), "mine"), UA_OK);
	copy = mmtest_folio_at(p->mm, PG(V, 1));
	c = mmtest_fork(&t, p);
	T_ASSERT(mmtest_folio_at(c->mm, PG(V, 1)) == copy);
	T_EQ(folio_mapcount(copy), 2);
	T_ASSERT(mmtest_folio_at(c->mm, PG(V, 0)) == mmtest_folio_at(p->mm, PG(V, 0)));
	T_EQ(machine->frames_in_use, 3);	/* two cache pages and the copy */
	MMTEST_CHECK(&t);

	truncate_to(&t, f, PAGE_SIZE);
	T_ASSERT(mmtest_folio_at(p->mm, PG(V, 1)) == NULL);
	T_ASSERT(mmtest_folio_at(c->mm, PG(V, 1)) == NULL);
	T_EQ(machine->frames_in_use, 1);
	T_EQ(mmtest_read(&t, p->mm, PG(V, 1), buf, 1), UA_SIGBUS);
	T_EQ(mmtest_read(&t, c->mm, PG(V, 1), buf, 1), UA_SIGBUS);
	T_EQ(mmtest_read(&t, c->mm, PG(V, 0), buf, 2), UA_OK);
	T_STREQ(buf, "zz");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	mmtest_end(&t);
}
