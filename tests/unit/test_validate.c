/*
 * tests/unit/test_validate.c - the checker can fail (mm/validate.c)
 *
 * Every other test trusts mmtest_check() == EX_KIND_NONE to mean "every
 * invariant holds".  That is worth something only if the checker sees a
 * broken invariant: here each test builds a valid state, breaks exactly
 * one thing by hand, expects exactly the kind of that invariant, then
 * repairs it and expects a clean bill again.  The precedence of kinds is
 * the enum order of explore/violation.h (rmap-miss before mapcount).
 */
#include <string.h>

#include "tests/unit/mmtest.h"

#define X 0x60000000UL

static enum ex_kind check_leaks(struct mmtest *t)
{
	enum ex_kind kind;

	MM_VIOLATION(t, vm_check_leaks(), &kind);
	return kind;
}

/* One process with one written anon page at X. */
static struct task_struct *one_page(struct mmtest *t, struct folio **fp)
{
	struct task_struct *p = mmtest_proc_with_page(t, X, "valid");

	*fp = mmtest_folio_at(p->mm, X);
	T_ASSERT(*fp);
	T_EQ(mmtest_check(t), EX_KIND_NONE);
	return p;
}

/* One process with a new two-page file mapped shared at X, page @i read in. */
static struct task_struct *one_file_page(struct mmtest *t, const char *name, unsigned long i,
					 struct file **fp)
{
	struct task_struct *p;
	char buf[4];

	*fp = mmtest_file(t, name, 2 * PAGE_SIZE);
	p = mmtest_proc(t);
	T_EQ(mmtest_mmap(t, p->mm, X, 2 * PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, *fp, 0), (long)X);
	T_EQ(mmtest_read(t, p->mm, X + i * PAGE_SIZE, buf, 1), UA_OK);
	T_EQ(mmtest_check(t), EX_KIND_NONE);
	return p;
}

/* I4: _mapcount + 1 must equal the ptes mapping the folio: one too many, one too few. */
TEST(validate_mapcount)
{
	struct task_struct *p;
	struct folio *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_page(&t, &f);
	f->_mapcount++;
	T_EQ(mmtest_check(&t), EX_MAPCOUNT);
	f->_mapcount -= 2;	/* now one too few */
	T_EQ(mmtest_check(&t), EX_MAPCOUNT);
	f->_mapcount++;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * I5: _refcount must equal ptes + page cache (+ isolation); a frame that
 * nothing refers to is a refcount error too.
 */
TEST(validate_refcount)
{
	struct task_struct *p;
	struct folio *f, *leaked;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_page(&t, &f);
	f->_refcount++;
	T_EQ(mmtest_check(&t), EX_REFCOUNT);
	f->_refcount--;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	/* A frame nobody refers to: allocated but unreachable. */
	leaked = mmtest_folio_alloc(&t, 0, 0, -1);
	T_ASSERT(leaked);
	T_EQ(mmtest_check(&t), EX_REFCOUNT);
	T_ASSERT(strstr(t.sink.first.message, "hold only"));
	mmtest_folio_put(&t, leaked);
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	/* The other way: a frame still reached, as if freed under its users. */
	machine->frames_in_use--;
	T_EQ(mmtest_check(&t), EX_REFCOUNT);
	T_ASSERT(strstr(t.sink.first.message, "a freed frame is still in use"));
	machine->frames_in_use++;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * P writes a page and forks C: the page's anon_vma A holds the AVCs of
 * both.  Taking C's AVC out of A's tree (A still has P's, so A's own
 * counts stay right) leaves C's pte unreachable by a walk: rmap-miss.
 */
TEST(validate_avc_missing_from_tree)
{
	struct anon_vma_chain *avc, *cav = NULL;
	struct task_struct *p, *c;
	struct anon_vma *a;
	struct folio *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_page(&t, &f);
	c = mmtest_fork(&t, p);
	a = p->mm->mmap->anon_vma;
	T_ASSERT(folio_anon_vma(f) == a);
	list_for_each_entry(avc, &c->mm->mmap->anon_vma_chain, same_vma)
		if (avc->anon_vma == a)
			cav = avc;
	T_ASSERT(cav);
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	anon_vma_interval_tree_remove(cav, &a->rb_root);
	T_EQ(mmtest_check(&t), EX_RMAP_MISS);
	anon_vma_interval_tree_insert(cav, &a->rb_root);
	T_EQ(mmtest_check(&t), EX_KIND_NONE);

	/* Precedence: a mapcount error and an rmap-miss at once report rmap-miss. */
	anon_vma_interval_tree_remove(cav, &a->rb_root);
	f->_mapcount++;
	T_EQ(mmtest_check(&t), EX_RMAP_MISS);
	anon_vma_interval_tree_insert(cav, &a->rb_root);
	T_EQ(mmtest_check(&t), EX_MAPCOUNT);
	f->_mapcount--;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/* A file VMA that is not in i_mmap: its pte cannot be found. */
TEST(validate_vma_missing_from_i_mmap)
{
	struct address_space *mapping;
	struct vm_area_struct *vma;
	struct task_struct *p;
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_file_page(&t, "imap", 0, &f);
	mapping = f->f_mapping;
	vma = p->mm->mmap;
	vma_interval_tree_remove(vma, &mapping->i_mmap);
	T_EQ(mmtest_check(&t), EX_RMAP_MISS);
	vma_interval_tree_insert(vma, &mapping->i_mmap);
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end(&t);
}

/*
 * i_size lowered behind the model's back (no truncate) while page 1 is
 * mapped: a pte maps a page at or past EOF.  Its precedence is above
 * rmap-miss.
 */
TEST(validate_truncated_mapped)
{
	struct address_space *mapping;
	struct task_struct *p;
	struct inode *inode;
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_file_page(&t, "isize", 1, &f);
	inode = f->f_inode;
	mapping = f->f_mapping;
	i_size_write(inode, PAGE_SIZE);
	T_EQ(mmtest_check(&t), EX_TRUNCATED_MAPPED);
	i_size_write(inode, PAGE_SIZE + 1);	/* page 1 is inside EOF again */
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	i_size_write(inode, PAGE_SIZE);
	vma_interval_tree_remove(p->mm->mmap, &mapping->i_mmap);
	T_EQ(mmtest_check(&t), EX_TRUNCATED_MAPPED);
	vma_interval_tree_insert(p->mm->mmap, &mapping->i_mmap);
	i_size_write(inode, 2 * PAGE_SIZE);
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end(&t);
}

/* I7: num_active_vmas must equal the VMAs whose anon_vma this is. */
TEST(validate_num_active_vmas)
{
	struct task_struct *p;
	struct anon_vma *a;
	struct folio *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = one_page(&t, &f);
	a = p->mm->mmap->anon_vma;
	a->num_active_vmas++;
	T_EQ(mmtest_check(&t), EX_BUG);
	a->num_active_vmas--;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	a->num_children++;
	T_EQ(mmtest_check(&t), EX_BUG);
	a->num_children--;
	a->refcount++;
	T_EQ(mmtest_check(&t), EX_BUG);
	a->refcount--;
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * vm_check_leaks after every process exited and every file was put:
 * clean; one stray VMA-sized allocation is a leak.
 */
TEST(validate_leak)
{
	struct task_struct *p, *c;
	struct folio *f;
	struct file *file;
	struct mmtest t;
	void *stray;

	mmtest_begin(&t, 64);
	p = one_page(&t, &f);
	file = mmtest_file(&t, "leak", PAGE_SIZE);
	T_EQ(mmtest_mmap(&t, p->mm, X + 0x100000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, file, 0),
	     (long)(X + 0x100000));
	T_EQ(mmtest_write(&t, p->mm, X + 0x100000, "cached"), UA_OK);
	c = mmtest_fork(&t, p);
	T_EQ(check_leaks(&t), EX_LEAK);	/* the processes are still there */
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	/* A file that still exists may keep its page cache. */
	T_EQ(file->f_mapping->nrpages, 1);
	T_EQ(check_leaks(&t), EX_KIND_NONE);
	mmtest_fput(&t, file);
	T_EQ(check_leaks(&t), EX_KIND_NONE);
	T_EQ(machine->frames_in_use, 0);

	stray = vm_alloc(VM_ALLOC_VMA, 8);
	T_ASSERT(stray);
	T_EQ(check_leaks(&t), EX_LEAK);
	T_ASSERT(strstr(t.sink.first.message, "vma") != NULL);
	vm_free(VM_ALLOC_VMA, stray);
	T_EQ(check_leaks(&t), EX_KIND_NONE);
	mmtest_end(&t);
}

/* A VM_BUG_ON in the model is a fatal `bug`: putting the zero page. */
TEST(validate_vm_bug_on)
{
	enum ex_kind kind;
	struct mmtest t;

	mmtest_begin(&t, 64);
	T_EQ(folio_ref_count(machine->zero_folio), 1);
	MM_VIOLATION(&t, folio_put(machine->zero_folio), &kind);
	T_EQ(kind, EX_BUG);
	T_ASSERT(t.sink.first.where != NULL);
	T_ASSERT(strstr(t.sink.first.where, "page_alloc.c") != NULL);
	T_EQ(folio_ref_count(machine->zero_folio), 1);
	/* and the checker is clean afterwards: nothing was changed */
	T_EQ(mmtest_check(&t), EX_KIND_NONE);
	mmtest_end(&t);
}
