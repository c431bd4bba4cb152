/*
 * tests/unit/test_migrate.c - migration and compaction (mm/migrate.c,
 * mm/compaction.c, try_to_migrate in mm/rmap_walk.c, kernel-reference §11)
 *
 * A page moves from one frame to another and every pte that mapped it
 * follows, found through the rmap:
 *
 *   P [A]  --fork-->  C [A]        anon_vma P <- both ptes, mapcount 2
 *        migrate
 *   P [A'] ---------  C [A']       the old frame is free, A' on node 1
 *
 * For a page-cache page the cache's slot follows too.  While the page
 * moves its ptes are migration entries (no mapcount, no reference), the
 * old folio is locked and PG_migrating; an entry that survives is the
 * checker's stale-migration-entry.  Frames: mmtest machines have two
 * nodes; allocation fills node 0 from its lowest frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/rmaplab.h"
#include "tests/unit/mmtest.h"

#define X 0x40000000UL
#define PG(i) (X + (unsigned long)(i) * PAGE_SIZE)

static int move_page(struct mmtest *t, struct mm_struct *mm, unsigned long addr, int node)
{
	int r;

	MM_CALL(t, r = sys_move_pages(mm, addr, node));
	return r;
}

static void compact(struct mmtest *t, int node)
{
	int r;

	MM_CALL(t, r = compact_nodes(node));
	T_EQ(r, 0);
}

static void get_ref(struct mmtest *t, struct folio *folio)
{
	MM_CALL(t, folio_get(folio));
}

static pte_t pte_at(struct mm_struct *mm, unsigned long addr)
{
	pte_t *pte = pte_offset_map(mm, addr);

	return pte ? ptep_get(pte) : (pte_t){ 0 };
}

static bool node_frame_free(int nid, unsigned long i)
{
	return folio_test_buddy(pfn_folio(machine->node_data[nid].node_start_pfn + i)) ||
	       pfn_folio(machine->node_data[nid].node_start_pfn + i)->_refcount == 0;
}

/* The moved page: a new frame on @nid, the old one free, and the same bytes. */
static struct folio *expect_moved(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
				  struct folio *old, int nid, const char *data)
{
	struct folio *now = mmtest_folio_at(mm, addr);

	T_ASSERT(now && now != old);
	T_EQ(folio_nid(now), nid);
	T_ASSERT(folio_test_buddy(old) || old->_refcount == 0);
	T_ASSERT(!folio_test_locked(now) && !folio_test_migrating(now) && !folio_test_isolated(now));
	T_ASSERT(folio_test_lru(now));
	mmtest_expect_mem(t, mm, addr, data);
	return now;
}

/* A private page: the pte comes back writable, exclusive, dirty; the frame count is unchanged. */
TEST(migrate_anon_private)
{
	struct task_struct *p;
	struct folio *old, *now;
	unsigned long frames;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "private");
	old = mmtest_folio_at(p->mm, X);
	T_EQ(folio_nid(old), 0);
	T_ASSERT(PageAnonExclusive(old) && pte_write(pte_at(p->mm, X)));
	frames = machine->frames_in_use;

	T_EQ(move_page(&t, p->mm, X, -1), 0);	/* the default: another node */
	now = expect_moved(&t, p->mm, X, old, 1, "private");
	T_EQ(machine->frames_in_use, frames);
	T_EQ(folio_mapcount(now), 1);
	T_EQ(folio_ref_count(now), 1);
	T_ASSERT(folio_test_anon(now) && folio_anon_vma(now) == find_vma(p->mm, X)->anon_vma);
	T_EQ(now->index, X >> PAGE_SHIFT);
	T_ASSERT(PageAnonExclusive(now));
	T_ASSERT(pte_write(pte_at(p->mm, X)) && pte_dirty(pte_at(p->mm, X)));
	T_ASSERT(folio_test_dirty(now) && folio_test_uptodate(now));
	MMTEST_CHECK(&t);

	/* Already there: nothing moves. */
	T_EQ(move_page(&t, p->mm, X, 1), 0);
	T_ASSERT(mmtest_folio_at(p->mm, X) == now);
	/* And back, explicitly; a write needs no fault (still writable). */
	T_EQ(move_page(&t, p->mm, X + 100, 0), 0);
	now = expect_moved(&t, p->mm, X, now, 0, "private");
	T_EQ(mmtest_write(&t, p->mm, X, "PRIVATE"), UA_OK);
	T_ASSERT(mmtest_folio_at(p->mm, X) == now);
	mmtest_expect_mem(&t, p->mm, X, "PRIVATE");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/* EFAULT (no VMA, the zero page) and ENOENT (nothing present): nothing moves, nothing leaks. */
TEST(migrate_nothing_to_move)
{
	struct task_struct *p;
	struct mmtest t;
	char buf[2];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	T_EQ(move_page(&t, p->mm, PG(0), -1), -ENOENT);	/* no page table at all */
	T_EQ(mmtest_read(&t, p->mm, PG(0), buf, 1), UA_OK);	/* maps the zero page */
	T_ASSERT(pte_special(pte_at(p->mm, PG(0))));
	T_EQ(move_page(&t, p->mm, PG(0), -1), -EFAULT);
	T_EQ(move_page(&t, p->mm, PG(1), -1), -ENOENT);	/* a table, a none pte */
	T_EQ(move_page(&t, p->mm, PG(2), -1), -EFAULT);	/* past the VMA */
	T_EQ(move_page(&t, p->mm, PG(0), 2), -EINVAL);	/* no node 2 */
	T_EQ(machine->frames_in_use, 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A page fork shared: asked through either process, both ptes follow; the
 * page stays read-only and shared, so a write still copies it.
 */
TEST(migrate_anon_shared_by_fork)
{
	struct task_struct *p, *c;
	struct folio *old, *now;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "shared");
	c = mmtest_fork(&t, p);
	old = mmtest_folio_at(p->mm, X);
	T_ASSERT(mmtest_folio_at(c->mm, X) == old);
	T_EQ(folio_mapcount(old), 2);

	T_EQ(move_page(&t, c->mm, X, -1), 0);
	now = expect_moved(&t, p->mm, X, old, 1, "shared");
	T_ASSERT(mmtest_folio_at(c->mm, X) == now);
	T_EQ(folio_mapcount(now), 2);
	T_EQ(folio_ref_count(now), 2);
	T_ASSERT(!PageAnonExclusive(now));
	T_ASSERT(!pte_write(pte_at(p->mm, X)) && !pte_write(pte_at(c->mm, X)));
	MMTEST_CHECK(&t);

	T_EQ(mmtest_write(&t, c->mm, X, "child"), UA_OK);	/* COW */
	T_ASSERT(mmtest_folio_at(c->mm, X) != now);
	mmtest_expect_mem(&t, p->mm, X, "shared");
	T_EQ(folio_mapcount(now), 1);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A file page mapped shared by two processes: the page-cache slot holds
 * the new folio with the cache's reference, the old one left the file
 * (->mapping cleared) and was freed; dirtiness moved with the data.
 */
TEST(migrate_file_shared_two_processes)
{
	struct task_struct *p, *q;
	struct folio *old, *now;
	struct file *f;
	unsigned char buf[8];
	struct mmtest t;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "mig", PAGE_SIZE);
	T_EQ(mmtest_pwrite(&t, f, 0, "filedata"), 8);
	p = mmtest_proc(&t);
	q = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)X);
	T_EQ(mmtest_mmap(&t, q->mm, X, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)X);
	T_EQ(mmtest_write(&t, p->mm, X, "FILE"), UA_OK);	/* dirty through a shared pte */
	mmtest_expect_mem(&t, q->mm, X, "FILEdata");
	old = xa_load(&f->f_mapping->i_pages, 0);
	T_ASSERT(old && mmtest_folio_at(p->mm, X) == old && mmtest_folio_at(q->mm, X) == old);
	T_ASSERT(folio_test_dirty(old));

	T_EQ(move_page(&t, q->mm, X, 1), 0);
	now = expect_moved(&t, p->mm, X, old, 1, "FILEdata");
	T_ASSERT(mmtest_folio_at(q->mm, X) == now);
	T_ASSERT(xa_load(&f->f_mapping->i_pages, 0) == now);
	T_ASSERT(now->mapping == f->f_mapping && now->index == 0 && !folio_test_anon(now));
	T_EQ(f->f_mapping->nrpages, 1);
	T_EQ(folio_mapcount(now), 2);
	T_EQ(folio_ref_count(now), 3);	/* two ptes and the page cache */
	T_ASSERT(folio_test_dirty(now));
	MMTEST_CHECK(&t);

	T_EQ(mmtest_write(&t, q->mm, X + 4, "DATA"), UA_OK);
	T_EQ(mmtest_pread(&t, f, 0, buf, 8), 8);
	T_MEMEQ(buf, "FILEDATA", 8);
	mmtest_expect_mem(&t, p->mm, X, "FILEDATA");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_exit(&t, q);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

static struct folio *alloc_on_node1(struct folio *src, unsigned long private)
{
	(void)src;
	(void)private;
	return folio_alloc(__GFP_THISNODE, 0, 1);
}

/* migrate_pages on the isolated folio at @index of @f (the page cache only: no pte). */
static int migrate_cached(struct mmtest *t, struct file *f, pgoff_t index)
{
	struct list_head list = LIST_HEAD_INIT(list);
	struct folio *folio;
	int r;

	MM_CALL(t, folio = filemap_get_folio(f->f_mapping, index));
	T_ASSERT(folio);
	MM_CALL(t, r = folio_isolate_lru(folio));
	T_ASSERT(r);
	MM_CALL(t, folio_put(folio));	/* the lookup's; the isolation holds its own */
	list_add_tail(&folio->lru, &list);
	MM_CALL(t, r = migrate_pages(&list, alloc_on_node1, NULL, 0, MIGRATE_SYNC, MR_SYSCALL));
	if (r)
		MM_CALL(t, putback_movable_pages(&list));
	return r;
}

/* A page in the page cache only: no rmap walk at all; the slot still moves. */
TEST(migrate_pagecache_only)
{
	struct folio *old, *now;
	unsigned char buf[6];
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "cache", 2 * PAGE_SIZE);
	T_EQ(mmtest_pwrite(&t, f, PAGE_SIZE, "cached"), 6);
	old = xa_load(&f->f_mapping->i_pages, 1);
	T_ASSERT(old && folio_nid(old) == 0 && !folio_mapped(old));

	T_EQ(migrate_cached(&t, f, 1), 0);
	now = xa_load(&f->f_mapping->i_pages, 1);
	T_ASSERT(now && now != old && folio_nid(now) == 1);
	T_ASSERT(folio_test_buddy(old));
	T_ASSERT(now->mapping == f->f_mapping && now->index == 1);
	T_EQ(folio_ref_count(now), 1);
	T_ASSERT(folio_test_lru(now) && folio_test_uptodate(now) && folio_test_dirty(now));
	T_EQ(mmtest_pread(&t, f, PAGE_SIZE, buf, 6), 6);
	T_MEMEQ(buf, "cached", 6);
	MMTEST_CHECK(&t);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * Someone else holds a reference (a GUP pin's or a lookup's): the refcount
 * check refuses the move on every pass; the entries are undone and the
 * page stays, mapped as before, back on the LRU.
 */
TEST(migrate_extra_reference_eagain)
{
	struct task_struct *p;
	struct folio *old;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "pinned");
	old = mmtest_folio_at(p->mm, X);
	MM_CALL(&t, folio_get(old));

	T_EQ(move_page(&t, p->mm, X, -1), -EAGAIN);
	T_ASSERT(mmtest_folio_at(p->mm, X) == old);
	T_ASSERT(pte_write(pte_at(p->mm, X)) && PageAnonExclusive(old));
	T_EQ(folio_mapcount(old), 1);
	T_EQ(folio_ref_count(old), 2);
	T_ASSERT(folio_test_lru(old) && !folio_test_isolated(old) && !folio_test_locked(old));
	T_ASSERT(!folio_test_migrating(old));
	T_EQ(machine->frames_in_use, 1);	/* the destinations were given back */
	mmtest_expect_mem(&t, p->mm, X, "pinned");
	MM_CALL(&t, folio_put(old));
	MMTEST_CHECK(&t);
	T_EQ(move_page(&t, p->mm, X, -1), 0);	/* free to go now */
	expect_moved(&t, p->mm, X, old, 1, "pinned");
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A page that may be DMA-pinned (refcount >= GUP_PIN_COUNTING_BIAS) and
 * is exclusive: try_to_migrate_one cannot share it (it must stay the
 * pinning process's), puts the pte back and stops the walk.
 */
TEST(migrate_maybe_pinned_exclusive)
{
	struct task_struct *p;
	struct folio *old;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "dma");
	old = mmtest_folio_at(p->mm, X);
	MM_CALL(&t, folio_ref_add(old, 1024));
	T_EQ(move_page(&t, p->mm, X, -1), -EAGAIN);
	T_ASSERT(mmtest_folio_at(p->mm, X) == old && PageAnonExclusive(old));
	T_ASSERT(pte_write(pte_at(p->mm, X)));
	MM_CALL(&t, folio_put_refs(old, 1024));
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/* Isolated by someone else (reclaim, another migration): EBUSY at once. */
TEST(migrate_isolated_ebusy)
{
	struct task_struct *p;
	struct folio *old;
	struct mmtest t;
	bool isolated;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "busy");
	old = mmtest_folio_at(p->mm, X);
	MM_CALL(&t, isolated = folio_isolate_lru(old));
	T_ASSERT(isolated);
	T_EQ(move_page(&t, p->mm, X, -1), -EBUSY);
	T_ASSERT(mmtest_folio_at(p->mm, X) == old);
	MM_CALL(&t, folio_putback_lru(old));
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/* No frame on the target node (__GFP_THISNODE: no fallback): ENOMEM, nothing changes. */
TEST(migrate_target_node_full)
{
	struct task_struct *p;
	struct folio *old, *hog[32];
	struct mmtest t;
	int n = 0;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "full");
	old = mmtest_folio_at(p->mm, X);
	while (n < 32 && (hog[n] = mmtest_folio_alloc(&t, __GFP_THISNODE, 0, 1)))
		n++;
	T_EQ(n, 32);
	T_EQ(move_page(&t, p->mm, X, 1), -ENOMEM);
	T_ASSERT(mmtest_folio_at(p->mm, X) == old && folio_test_lru(old));
	while (n)
		mmtest_folio_put(&t, hog[--n]);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * Seed 004: exec's temporary stack (VM_STACK_INCOMPLETE_SETUP on a
 * growsdown VMA) is skipped by try_to_migrate, so its page stays mapped
 * and the migration fails (exec_stack_migrate=skip, the default); the
 * other two designs walk into it.  The checker exempts the VMA from
 * rmap-miss, not from anything else.
 */
static int migrate_in_stack(int design, bool *moved, int *nid)
{
	struct vm_variants v = { 0 };
	struct task_struct *p;
	struct folio *old, *now;
	struct mmtest t;
	int r;

	v.value[VAR_EXEC_STACK_MIGRATE] = design;
	mmtest_begin_variants(&t, 64, &v);
	p = mmtest_proc_with_page(&t, X, "stack");
	find_vma(p->mm, X)->vm_flags |= VM_GROWSDOWN | VM_STACK_INCOMPLETE_SETUP;
	old = mmtest_folio_at(p->mm, X);
	r = move_page(&t, p->mm, X, -1);
	now = mmtest_folio_at(p->mm, X);
	*moved = now != old;
	*nid = folio_nid(now);
	mmtest_expect_mem(&t, p->mm, X, "stack");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
	return r;
}

TEST(migrate_exec_stack_variant)
{
	bool moved;
	int nid;

	T_EQ(migrate_in_stack(EXEC_STACK_SKIP, &moved, &nid), -EAGAIN);
	T_ASSERT(!moved && nid == 0);
	T_EQ(migrate_in_stack(EXEC_STACK_UNPROTECTED, &moved, &nid), 0);
	T_ASSERT(moved && nid == 1);
	T_EQ(migrate_in_stack(EXEC_STACK_ANON_VMA_LOCK, &moved, &nid), 0);
	T_ASSERT(moved && nid == 1);
}

/*
 * A migration in flight, driven by hand as migrate_folio_unmap and its
 * undo drive it, by a thread of its own (the lock layer keeps each
 * thread's locks): isolate, lock, take the anon_vma reference, install
 * the entries.  The test's thread then runs other operations on them;
 * the second walk puts the ptes back.
 */
struct inflight {
	struct ex_thread thread;
	struct folio *folio;
	struct anon_vma *anon_vma;
};

static void begin_migration(struct mmtest *t, struct inflight *m, struct folio *folio)
{
	bool isolated;

	ex_thread_init(&m->thread, 1, "migration");
	m->folio = folio;
	ex_set_current(&m->thread);
	MM_CALL(t, isolated = folio_isolate_lru(folio));
	T_ASSERT(isolated);
	MM_CALL(t, folio_lock(folio));
	folio_set_migrating(folio);
	MM_CALL(t, m->anon_vma = folio_get_anon_vma(folio));
	MM_CALL(t, try_to_migrate(folio, 0));
	ex_set_current(&t->thread);
}

static void end_migration(struct mmtest *t, struct inflight *m)
{
	ex_set_current(&m->thread);
	MM_CALL(t, remove_migration_ptes(m->folio, m->folio));
	if (m->anon_vma)
		MM_CALL(t, put_anon_vma(m->anon_vma));
	folio_clear_migrating(m->folio);
	MM_CALL(t, folio_unlock(m->folio));
	MM_CALL(t, folio_putback_lru(m->folio));
	ex_set_current(&t->thread);
}

static int entry_type(struct mm_struct *mm, unsigned long addr)
{
	pte_t pte = pte_at(mm, addr);

	if (!is_swap_pte(pte) || !softleaf_is_migration(softleaf_from_pte(pte)))
		return -1;
	return (int)swp_type(softleaf_from_pte(pte));
}

/*
 * fork copies a writable migration entry of a COW mapping as a readable
 * one, in the parent too: both come back read-only on one shared page.
 */
TEST(migrate_entry_meets_fork)
{
	struct task_struct *p, *c;
	struct inflight m;
	struct folio *folio;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "entry");
	folio = mmtest_folio_at(p->mm, X);
	begin_migration(&t, &m, folio);
	T_EQ(entry_type(p->mm, X), SWP_MIGRATION_WRITE);
	T_EQ(folio_mapcount(folio), 0);
	T_EQ(folio_ref_count(folio), 1);	/* the isolation's: the entry holds none */
	c = mmtest_fork(&t, p);
	T_EQ(entry_type(p->mm, X), SWP_MIGRATION_READ);
	T_EQ(entry_type(c->mm, X), SWP_MIGRATION_READ);
	T_ASSERT(pte_swp_young(pte_at(c->mm, X)) && pte_swp_dirty(pte_at(c->mm, X)));
	T_EQ(c->mm->rss_stat[MM_ANONPAGES], 1);	/* an entry counts in rss */
	end_migration(&t, &m);
	T_ASSERT(mmtest_folio_at(p->mm, X) == folio && mmtest_folio_at(c->mm, X) == folio);
	T_ASSERT(!pte_write(pte_at(p->mm, X)) && !pte_write(pte_at(c->mm, X)));
	T_ASSERT(!PageAnonExclusive(folio));
	T_EQ(folio_mapcount(folio), 2);
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, p->mm, X, "ENTRY"), UA_OK);	/* a copy, not a reuse */
	T_ASSERT(mmtest_folio_at(p->mm, X) != folio);
	mmtest_expect_mem(&t, c->mm, X, "entry");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * mprotect makes a writable entry readable whatever the new protection
 * (exclusive for anon): the page comes back read-only and exclusive, and
 * a write reuses it without a copy.
 */
TEST(migrate_entry_meets_mprotect)
{
	struct task_struct *p;
	struct inflight m;
	struct folio *folio;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "prot");
	folio = mmtest_folio_at(p->mm, X);
	begin_migration(&t, &m, folio);
	T_EQ(mmtest_mprotect(&t, p->mm, X, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	T_EQ(entry_type(p->mm, X), SWP_MIGRATION_READ_EXCLUSIVE);
	T_ASSERT(pte_swp_dirty(pte_at(p->mm, X)));
	end_migration(&t, &m);
	T_ASSERT(mmtest_folio_at(p->mm, X) == folio && !pte_write(pte_at(p->mm, X)));
	T_ASSERT(PageAnonExclusive(folio));
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, p->mm, X, "PROT"), UA_OK);
	T_ASSERT(mmtest_folio_at(p->mm, X) == folio && pte_write(pte_at(p->mm, X)));
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/* munmap zaps an entry: rss drops, no mapcount or reference to drop; nothing to restore. */
TEST(migrate_entry_meets_munmap)
{
	struct task_struct *p;
	struct inflight m;
	struct folio *folio;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "gone");
	folio = mmtest_folio_at(p->mm, X);
	begin_migration(&t, &m, folio);
	T_EQ(mmtest_munmap(&t, p->mm, X, PAGE_SIZE), 0);
	T_EQ(p->mm->rss_stat[MM_ANONPAGES], 0);
	T_EQ(pte_val(pte_at(p->mm, X)), 0);
	T_EQ(folio_ref_count(folio), 1);	/* the isolation's */
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 1);	/* kept by the migration's reference */
	end_migration(&t, &m);	/* finds nothing; the putback frees the folio */
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	T_EQ(machine->frames_in_use, 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * The checker: a migration entry whose folio no migration holds is stale
 * (the state a missed pte leaves behind); the same entry while the folio
 * is locked and PG_migrating is a migration in progress, not a finding.
 * A fault that meets the stale entry reports it at once.
 */
TEST(migrate_stale_entry_is_reported)
{
	struct task_struct *p;
	struct folio *victim;
	unsigned long done;
	pte_t *ptep, saved;
	struct mmtest t;
	enum ex_kind kind;
	unsigned char buf[2];

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "s");
	T_EQ(mmtest_mmap(&t, p->mm, PG(1), PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)PG(1));
	T_EQ(mmtest_write(&t, p->mm, PG(1), "t"), UA_OK);
	victim = mmtest_folio_at(p->mm, X);
	ptep = pte_offset_map(p->mm, PG(1));
	saved = ptep_get(ptep);
	MMTEST_CHECK(&t);

	/* PG(1) now holds a migration entry for X's folio (PG(1)'s own page unmapped). */
	set_pte_at(p->mm, PG(1), ptep, softleaf_to_pte(make_readable_migration_entry(folio_pfn(victim))));
	MM_CALL(&t, folio_remove_rmap_pte(pfn_folio(pte_pfn(saved)), NULL));
	T_EQ(mmtest_check(&t), EX_STALE_MIGRATION);

	/* The same entry during a migration (locked, PG_migrating), seen between two steps. */
	MM_CALL(&t, folio_lock(victim));
	folio_set_migrating(victim);
	ex_sink_reset(&t.sink);
	MM_CALL(&t, vm_check_step(false));
	T_EQ(t.sink.first.kind, EX_KIND_NONE);
	folio_clear_migrating(victim);
	MM_CALL(&t, folio_unlock(victim));

	/* A fault meeting the stale entry reports it at once (the model is left inconsistent). */
	MM_VIOLATION(&t, uaccess_read(p->mm, PG(1), buf, 1, &done), &kind);
	T_EQ(kind, EX_STALE_MIGRATION);
	mmtest_end(&t);
}

/*
 * Compaction: every movable page below the scanners' meeting point moves
 * to a free frame above it - anon private and shared, file pages mapped
 * and cached only, a COW copy - and each mapping reads what it did; the
 * node's first frames are free afterwards.  A page someone holds a
 * reference on stays where it is.
 */
TEST(compact_moves_pages_and_keeps_mappings)
{
	struct task_struct *p, *c;
	struct folio *held, *folio;
	unsigned long lowest = ~0UL, start = 0;
	unsigned char buf[4];
	struct file *f;
	struct mmtest t;
	char s[16];

	mmtest_begin(&t, 64);
	start = machine->node_data[0].node_start_pfn;
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, 6 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	for (int i = 0; i < 6; i++) {
		snprintf(s, sizeof(s), "pg%d", i);
		T_EQ(mmtest_write(&t, p->mm, PG(i), s), UA_OK);
	}
	c = mmtest_fork(&t, p);
	T_EQ(mmtest_write(&t, c->mm, PG(1), "cow"), UA_OK);
	f = mmtest_file(&t, "cmp", 2 * PAGE_SIZE);
	T_EQ(mmtest_pwrite(&t, f, 0, "f0"), 2);
	T_EQ(mmtest_pwrite(&t, f, PAGE_SIZE, "f1"), 2);	/* page cache only */
	T_EQ(mmtest_mmap(&t, p->mm, PG(8), PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0),
	     (long)PG(8));
	mmtest_expect_mem(&t, p->mm, PG(8), "f0");
	held = mmtest_folio_at(p->mm, PG(2));
	get_ref(&t, held);
	T_EQ(machine->frames_in_use, 9);
	for (unsigned long i = 0; i < 9; i++)
		T_ASSERT(!node_frame_free(0, i));

	compact(&t, 0);
	T_EQ(machine->frames_in_use, 9);
	T_ASSERT(mmtest_folio_at(p->mm, PG(2)) == held);	/* referenced: stays */
	for (int i = 0; i < 6; i++) {
		snprintf(s, sizeof(s), "pg%d", i);
		mmtest_expect_mem(&t, p->mm, PG(i), s);
		if (i != 1)
			mmtest_expect_mem(&t, c->mm, PG(i), s);
		folio = mmtest_folio_at(p->mm, PG(i));
		if (i != 2) {
			T_GT(folio_pfn(folio), start + 8);
			if (folio_pfn(folio) < lowest)
				lowest = folio_pfn(folio);
		}
	}
	mmtest_expect_mem(&t, c->mm, PG(1), "cow");
	T_ASSERT(mmtest_folio_at(c->mm, PG(0)) == mmtest_folio_at(p->mm, PG(0)));
	mmtest_expect_mem(&t, p->mm, PG(8), "f0");
	T_ASSERT(xa_load(&f->f_mapping->i_pages, 0) == mmtest_folio_at(p->mm, PG(8)));
	T_EQ(mmtest_pread(&t, f, PAGE_SIZE, buf, 2), 2);
	T_MEMEQ(buf, "f1", 2);
	/* The moved pages went to the top; the frames they left are free. */
	T_GT(lowest, start + 16);
	for (unsigned long i = 0; i < 9; i++)
		if (pfn_folio(start + i) != held)
			T_ASSERT(node_frame_free(0, i));
	mmtest_folio_put(&t, held);
	MMTEST_CHECK(&t);
	/* Again, every node: the held page moves now; the rest are above the meeting point. */
	compact(&t, -1);
	T_ASSERT(mmtest_folio_at(p->mm, PG(2)) != held);
	mmtest_expect_mem(&t, p->mm, PG(2), "pg2");
	mmtest_expect_mem(&t, c->mm, PG(5), "pg5");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * The explorer: a read and a write racing two migrations of their page
 * (tests/scenarios/explore/migrate-vs-fault.scn).  Every schedule within
 * two preemptions is run; in some the fault meets the migration entry and
 * waits in migration_entry_wait for the folio lock (coverage counts the
 * window), and none has a violation.
 */
TEST(migrate_fault_waits_on_entry_explorer)
{
	struct rl_explore_opts o = { .strategy = "dfs", .preemptions = 2,
				     .flags = RL_EXPLORE_COVERAGE };
	char *out = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int code, entered = 0, total = 0;

	T_ASSERT(f);
	code = rl_explore_file("tests/scenarios/explore/migrate-vs-fault.scn", &o, f, f);
	fclose(f);
	if (t_verbose())
		t_log("%s", out);
	T_EQ(code, 0);
	T_ASSERT(strstr(out, "exhausted") && strstr(out, "no violation"));
	line = strstr(out, "migration_entry_wait: before folio_lock");
	T_ASSERT(line);
	T_EQ(sscanf(line, "migration_entry_wait: before folio_lock %d of %d", &entered, &total), 2);
	T_GT(entered, 0);
	free(out);
}
