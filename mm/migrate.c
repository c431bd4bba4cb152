/*
 * mm/migrate.c - page migration (model)
 *
 * Models: move_pages(2) for one page with MPOL_MF_MOVE_ALL
 *         (add_folio_for_migration looks the page up and isolates it under
 *         mmap_lock for reading and the PTL; do_move_pages_to_node then
 *         migrates it with no mmap_lock held), migrate_pages with
 *         migrate_pages_sync / migrate_pages_batch (MIGRATE_ASYNC passes
 *         first, then MIGRATE_SYNC ones), migrate_folio_unmap,
 *         migrate_folio_move, move_to_new_folio, __migrate_folio and
 *         __folio_migrate_mapping (the refcount check against
 *         folio_expected_ref_count, the freeze, the page-cache slot
 *         replaced under the i_pages lock), folio_migrate_flags,
 *         remove_migration_ptes / remove_migration_pte,
 *         migrate_folio_undo_src/_dst, putback_movable_pages and
 *         alloc_migration_target (__GFP_THISNODE).
 * try_to_migrate is in mm/rmap_walk.c, migration_entry_wait in
 * mm/memory.c, compaction in mm/compaction.c.
 *
 * The folio lock of the source is held from before the first rmap walk
 * (try_to_migrate) until after the second (remove_migration_ptes): a
 * migration entry means "this folio is locked and moving".  An anon_vma
 * reference, not its lock, keeps the anon_vma alive across the gap, in
 * which fork, munmap and mprotect run freely on the entries.  Every entry
 * the first walk installs must be found by the second (kernel-reference
 * §11.4); mm/validate.c reports one that survives as
 * stale-migration-entry.
 * See lock ordering in mm/rmap.c.
 *
 * Leaves out: batching several folios' unmaps before their moves (each
 *         folio is unmapped and moved in turn; both callers pass one),
 *         TLB batching, large folios and their splitting, hugetlb,
 *         device and movable_ops pages, writeback (the model's completes
 *         at once), buffer heads, mlock, memory cgroups, cpusets and
 *         vma_migratable (every model VMA is migratable).
 */
#include "mm/internal.h"

#define NR_MAX_MIGRATE_PAGES_RETRY	10
#define NR_MAX_MIGRATE_ASYNC_RETRY	3
#define NR_MAX_MIGRATE_SYNC_RETRY	(NR_MAX_MIGRATE_PAGES_RETRY - NR_MAX_MIGRATE_ASYNC_RETRY)

#define MIGRATEPAGE_SUCCESS	0
#define MIGRATEPAGE_UNMAP	1

/*
 * One folio's migration between migrate_folio_unmap and migrate_folio_move
 * (the kernel records this in dst->private: __migrate_folio_record).
 */
struct migrate_op {
	struct folio *src;		/* isolated; locked from unmap to the end of move */
	struct folio *dst;		/* the new folio, locked while in use */
	new_folio_t get_new_folio;
	free_folio_t put_new_folio;	/* NULL: folio_put */
	unsigned long private;		/* for the two above */
	struct anon_vma *anon_vma;	/* the reference held across the unmap-move gap */
	bool was_mapped;		/* PAGE_WAS_MAPPED: migration entries were installed */
};

/* ------------------------------------------------------------------ */
/* remove_migration_ptes */

/*
 * remove_migration_pte - replace each migration entry for @arg (the
 * source) in @vma by a pte for @folio: the source itself when a migration
 * is undone, the destination when it succeeded.  Writable only if the
 * entry was; anon-exclusive unless it was a plain readable entry; young
 * and dirty as the entry recorded; inaccessible in a PROT_NONE VMA.
 * Context: @folio locked, rmap lock held for reading; takes the PTL.
 */
static bool remove_migration_pte(struct folio *folio, struct vm_area_struct *vma,
				 unsigned long addr, void *arg)
{
	struct folio *src = arg;
	struct page_vma_mapped_walk pvmw = {
		.pfn = folio_pfn(src), .nr_pages = 1, .pgoff = folio->index, .vma = vma,
		.address = addr, .flags = PVMW_SYNC | PVMW_MIGRATION,
	};

	while (page_vma_mapped_walk(&pvmw)) {
		pte_t old_pte = ptep_get(pvmw.pte);
		softleaf_t entry = softleaf_from_pte(old_pte);
		int rmap_flags = RMAP_NONE;
		unsigned long vm_flags;
		pte_t pte;

		folio_get(folio);
		/*
		 * READ_ONCE of the VMA's protection: mprotect may be changing it
		 * (under mmap_lock, which we do not hold); it then rewrites this
		 * pte under the PTL after us, or has already made the entry
		 * readable before us.
		 */
		vm_flags = __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);
		pte = pte_modify(pfn_pte(folio_pfn(folio), 0),
				 __atomic_load_n(&vma->vm_page_prot, __ATOMIC_RELAXED),
				 vm_flags & VM_ACCESS_FLAGS);
		if (pte_swp_young(old_pte))
			pte = pte_mkyoung(pte);
		if (folio_test_dirty(folio) && pte_swp_dirty(old_pte))
			pte = pte_mkdirty(pte);
		if (softleaf_is_migration_write(entry))
			pte = pte_mkwrite(pte);
		if (folio_test_anon(folio) && swp_type(entry) != SWP_MIGRATION_READ)
			rmap_flags |= RMAP_EXCLUSIVE;
		if (folio_test_anon(folio))
			folio_add_anon_rmap_pte(folio, vma, pvmw.address, rmap_flags);
		else
			folio_add_file_rmap_pte(folio, vma);
		set_pte_at(vma->vm_mm, pvmw.address, pvmw.pte, pte);
	}
	return true;
}

/**
 * remove_migration_ptes - the second rmap walk: every migration entry for
 * @src becomes a pte for @dst (@dst == @src to undo).  It walks @dst,
 * whose ->mapping and ->index are @src's; for an anon folio the anon_vma
 * is kept alive by the migration's reference (folio_lock_anon_vma_read
 * cannot be used: the folio is not mapped).  Every VMA is visited,
 * exec's temporary stack included: try_to_migrate installed nothing there.
 * Context: @dst (and @src) locked; takes the rmap lock for reading and
 * the PTLs; may yield.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct rmap_walk_control rwc = {
		.rmap_one = remove_migration_pte,
		.arg = src,
	};

	rmap_walk(dst, &rwc);
}

/* ------------------------------------------------------------------ */
/* moving the data, the page-cache slot and the flags */

/*
 * __folio_migrate_mapping - @dst takes @src's place.  An anon folio only
 * passes on its mapping and index (its ptes are all migration entries: no
 * one can find it to take a reference).  A page-cache folio is found by
 * lockless lookups, so its refcount is frozen at @expected under the
 * i_pages lock: a lookup's folio_try_get fails meanwhile and looks again,
 * then finds @dst in the slot.  The cache's reference moves to @dst.
 * Returns 0 or -EAGAIN (someone took a reference since the check).
 * Context: @src and @dst locked; takes the i_pages lock.
 */
static int __folio_migrate_mapping(struct address_space *mapping, struct folio *dst,
				   struct folio *src, int expected)
{
	if (!mapping) {
		dst->index = src->index;
		__atomic_store_n(&dst->mapping, folio_mapping_once(src), __ATOMIC_RELAXED);
		if (folio_test_swapbacked(src))
			folio_set_swapbacked(dst);
		return MIGRATEPAGE_SUCCESS;
	}
	xa_lock(mapping);
	if (!folio_ref_freeze(src, expected)) {
		xa_unlock(mapping);
		return -EAGAIN;
	}
	/* No one else is looking at the folio: no turning back from here. */
	dst->index = src->index;
	dst->mapping = src->mapping;
	folio_ref_add(dst, 1);			/* the page cache's reference */
	if (folio_test_swapbacked(src))
		folio_set_swapbacked(dst);	/* shmem */
	if (folio_test_dirty(src)) {		/* moved while the refs are frozen */
		folio_clear_dirty(src);
		folio_set_dirty(dst);
	}
	VM_BUG_ON_FOLIO(xa_load(&mapping->i_pages, src->index) != src, src);
	if (xa_store(&mapping->i_pages, src->index, dst))
		BUG();			/* replacing a present entry allocates nothing */
	folio_ref_unfreeze(src, expected - 1);	/* the cache's reference is gone */
	xa_unlock(mapping);
	return MIGRATEPAGE_SUCCESS;
}

/* folio_migrate_flags - what @dst inherits; PageAnonExclusive goes through the entries. */
static void folio_migrate_flags(struct folio *dst, struct folio *src)
{
	if (folio_test_referenced(src))
		folio_set_referenced(dst);
	if (folio_test_uptodate(src))
		folio_set_uptodate(dst);
	if (folio_test_active(src)) {
		folio_clear_active(src);
		folio_set_active(dst);
	}
	if (folio_test_dirty(src))	/* an anon folio's (a file folio's moved above) */
		folio_set_dirty(dst);
}

/*
 * __migrate_folio - migrate_folio and filemap_migrate_folio (shmem and the
 * model's regular files have no buffers).  The source may hold exactly
 * folio_expected_ref_count references (mapcount 0 by now: the entries
 * hold none) plus the isolation's; any other is a GUP pin or a lookup in
 * flight, and the migration must not copy under it: -EAGAIN.
 */
static int __migrate_folio(struct address_space *mapping, struct folio *dst, struct folio *src)
{
	int expected = folio_expected_ref_count(src) + 1;
	int rc;

	if (folio_ref_count(src) != expected)
		return -EAGAIN;
	vm_data_copy(folio_address(dst), folio_address(src), PAGE_SIZE);	/* folio_mc_copy */
	rc = __folio_migrate_mapping(mapping, dst, src, expected);
	if (rc != MIGRATEPAGE_SUCCESS)
		return rc;
	folio_migrate_flags(dst, src);
	return MIGRATEPAGE_SUCCESS;
}

/*
 * move_to_new_folio - the data, the cache slot and the flags to @dst.  On
 * success a page-cache source loses ->mapping (under its lock, before it
 * is freed: truncation that sleeps on it will find it gone); an anon one
 * stays anon until it is freed.
 * Context: @src and @dst locked; all @src's ptes are migration entries.
 */
static int move_to_new_folio(struct folio *dst, struct folio *src)
{
	int rc;

	VM_BUG_ON_FOLIO(!folio_test_locked(src), src);
	VM_BUG_ON_FOLIO(!folio_test_locked(dst), dst);
	rc = __migrate_folio(folio_mapping(src), dst, src);
	/* WRITE_ONCE: a zap of one of src's migration entries reads it (mm_counter) */
	if (rc == MIGRATEPAGE_SUCCESS && !folio_test_anon(src))
		__atomic_store_n(&src->mapping, NULL, __ATOMIC_RELAXED);
	return rc;
}

/* ------------------------------------------------------------------ */
/* unmap, move, undo */

/* migrate_folio_undo_src - put the ptes back; drop the anon_vma reference and the lock. */
static void migrate_folio_undo_src(struct migrate_op *op, bool locked)
{
	if (op->was_mapped)
		remove_migration_ptes(op->src, op->src);
	op->was_mapped = false;
	if (op->anon_vma)
		put_anon_vma(op->anon_vma);
	op->anon_vma = NULL;
	if (locked) {
		folio_clear_migrating(op->src);	/* no entry is left: see mm/validate.c */
		folio_unlock(op->src);
	}
}

static void migrate_folio_undo_dst(struct migrate_op *op, bool locked)
{
	if (locked)
		folio_unlock(op->dst);
	if (op->put_new_folio)
		op->put_new_folio(op->dst, op->private);
	else
		folio_put(op->dst);
	op->dst = NULL;
}

/* migrate_folio_done - the source is done with: drop the isolation's reference. */
static void migrate_folio_done(struct folio *src)
{
	folio_clear_isolated(src);
	folio_put(src);
}

/*
 * migrate_folio_unmap - allocate the destination, lock the source (trylock;
 * sleep for it only in MIGRATE_SYNC), take the anon_vma reference, lock
 * the destination (trylock: it is new, no one else can hold it), and
 * replace every pte of the source by a migration entry.
 * Returns MIGRATEPAGE_UNMAP with both locked and the source unmapped,
 * MIGRATEPAGE_SUCCESS if the source was freed under us (only our
 * isolation holds it), -ENOMEM, or -EAGAIN with everything undone (a
 * contended lock in MIGRATE_ASYNC, or a pte try_to_migrate could not
 * replace: a maybe-pinned exclusive page, exec's temporary stack, a pte
 * set up by a racing fault or fork that the walk had passed).
 * Context: no locks held; may sleep on the source's folio lock.
 */
static int migrate_folio_unmap(struct migrate_op *op, enum migrate_mode mode)
{
	struct folio *src = op->src;
	bool locked = false, dst_locked = false;

	if (folio_ref_count(src) == 1) {
		/* Freed from under us: unmapped and gone from the cache.  Done. */
		folio_clear_active(src);
		list_del(&src->lru);
		migrate_folio_done(src);
		return MIGRATEPAGE_SUCCESS;
	}
	op->dst = op->get_new_folio(src, op->private);
	if (!op->dst)
		return -ENOMEM;
	if (!folio_trylock(src)) {
		if (mode == MIGRATE_ASYNC)
			goto out;
		folio_lock(src);
	}
	locked = true;
	folio_set_migrating(src);
	/*
	 * After try_to_migrate the mapcount is 0 and nothing keeps the
	 * anon_vma alive for remove_migration_ptes: hold a reference.  None
	 * is needed if the folio is not mapped now: it cannot become mapped
	 * while we hold its lock.
	 */
	if (folio_test_anon(src))
		op->anon_vma = folio_get_anon_vma(src);
	/*
	 * The destination is ours alone: a trylock, as the kernel's (a
	 * trylock never orders locks, so source-then-destination needs no
	 * lockdep nesting here; folio_lock_nested would be the annotation).
	 */
	if (!folio_trylock(op->dst))
		goto out;
	dst_locked = true;
	if (!src->mapping) {
		/* truncated after isolation: no ptes, nothing to unmap */
	} else if (folio_mapped(src)) {
		VM_BUG_ON_FOLIO(folio_test_anon(src) && !op->anon_vma, src);
		try_to_migrate(src, 0);
		op->was_mapped = true;
	}
	if (!folio_mapped(src))
		return MIGRATEPAGE_UNMAP;
out:
	migrate_folio_undo_src(op, locked);
	migrate_folio_undo_dst(op, dst_locked);
	return -EAGAIN;
}

/*
 * migrate_folio_move - move the data to the destination and point the
 * entries at it; unlock and release both.  -EAGAIN (extra references
 * still held) keeps everything as it is - locked, unmapped, the entries
 * in place - for the next pass.
 * Context: both folios locked by migrate_folio_unmap.
 */
static int migrate_folio_move(struct migrate_op *op)
{
	struct folio *src = op->src, *dst = op->dst;
	int rc = move_to_new_folio(dst, src);

	if (rc)
		return rc;
	/* On the LRU before the ptes return, as the kernel puts it. */
	folio_add_lru(dst);
	if (op->was_mapped)
		remove_migration_ptes(src, dst);
	folio_unlock(dst);
	folio_put(dst);		/* the allocation's; the ptes and the cache hold theirs */
	op->dst = NULL;
	list_del(&src->lru);
	if (op->anon_vma)
		put_anon_vma(op->anon_vma);
	op->anon_vma = NULL;
	folio_clear_migrating(src);	/* every entry is gone */
	folio_unlock(src);
	migrate_folio_done(src);	/* frees it */
	return MIGRATEPAGE_SUCCESS;
}

/*
 * migrate_pages_batch for one folio: up to @nr_pass unmap attempts, then
 * up to @nr_pass move attempts; a move still refused is undone.
 */
static int migrate_folio_batch(struct migrate_op *op, enum migrate_mode mode, int nr_pass)
{
	int rc = -EAGAIN;

	for (int pass = 0; pass < nr_pass && rc == -EAGAIN; pass++) {
		cond_resched();
		rc = migrate_folio_unmap(op, mode);
	}
	if (rc != MIGRATEPAGE_UNMAP)
		return rc;
	rc = -EAGAIN;
	for (int pass = 0; pass < nr_pass && rc == -EAGAIN; pass++) {
		cond_resched();
		rc = migrate_folio_move(op);
	}
	if (rc) {
		/* migrate_folios_undo: the ptes back to the source */
		migrate_folio_undo_src(op, true);
		migrate_folio_undo_dst(op, true);
	}
	return rc;
}

/**
 * migrate_pages - migrate the isolated folios on @from (linked by ->lru)
 * to folios from @get_new_folio.  MIGRATE_SYNC first tries
 * NR_MAX_MIGRATE_ASYNC_RETRY passes without sleeping on folio locks, then
 * the rest of NR_MAX_MIGRATE_PAGES_RETRY sleeping (migrate_pages_sync).
 * Migrated folios leave the list (and are freed); the others stay on it
 * for the caller's putback_movable_pages.
 * Returns 0 if every folio moved, else the error of the last that did not
 * (-EAGAIN: still busy after the retries; -ENOMEM: no destination).  The
 * kernel returns the number of failures; one folio at a time, the model
 * keeps the reason.
 * Context: no locks held; may sleep.
 */
int migrate_pages(struct list_head *from, new_folio_t get_new_folio, free_folio_t put_new_folio,
		  unsigned long private, enum migrate_mode mode, enum migrate_reason reason)
{
	struct folio *folio, *next;
	int err = 0;

	(void)reason;
	list_for_each_entry_safe(folio, next, from, lru) {
		struct migrate_op op = {
			.src = folio, .get_new_folio = get_new_folio,
			.put_new_folio = put_new_folio, .private = private,
		};
		int rc;

		VM_BUG_ON_FOLIO(!folio_test_isolated(folio), folio);
		if (mode == MIGRATE_ASYNC) {
			rc = migrate_folio_batch(&op, MIGRATE_ASYNC, NR_MAX_MIGRATE_PAGES_RETRY);
		} else {
			rc = migrate_folio_batch(&op, MIGRATE_ASYNC, NR_MAX_MIGRATE_ASYNC_RETRY);
			if (rc && rc != -ENOMEM)
				rc = migrate_folio_batch(&op, mode, NR_MAX_MIGRATE_SYNC_RETRY);
		}
		if (rc)
			err = rc;
	}
	return err;
}

/**
 * putback_movable_pages - the folios migration gave up on return to the LRU.
 * Context: no locks held; takes the lru_lock.
 */
void putback_movable_pages(struct list_head *l)
{
	struct folio *folio, *next;

	list_for_each_entry_safe(folio, next, l, lru) {
		list_del(&folio->lru);
		INIT_LIST_HEAD(&folio->lru);
		folio_putback_lru(folio);
	}
}

/* ------------------------------------------------------------------ */
/* move_pages(2) */

/* alloc_migration_target: on the target node only (__GFP_THISNODE), as move_pages asks. */
static struct folio *alloc_migration_target(struct folio *src, unsigned long private)
{
	(void)src;
	return folio_alloc(__GFP_THISNODE, 0, (int)private);
}

/*
 * __add_folio_for_migration - 1 with the folio isolated onto @pagelist, 0
 * if it is already on *@node (for *@node < 0, the statement's default,
 * "another node", is chosen now: the next node after the folio's), or
 * -EFAULT (the zero page) / -EBUSY (someone else has it isolated).
 * Context: the PTL held: the pte's reference keeps the folio.
 */
static int __add_folio_for_migration(struct folio *folio, int *node, struct list_head *pagelist)
{
	if (!folio)
		return -EFAULT;		/* the shared zero page */
	if (*node < 0)
		*node = (folio_nid(folio) + 1) % machine->nr_nodes;
	if (folio_nid(folio) == *node)
		return 0;
	/* MPOL_MF_MOVE_ALL: shared folios too (no folio_maybe_mapped_shared check) */
	if (!folio_isolate_lru(folio))
		return -EBUSY;
	list_add_tail(&folio->lru, pagelist);
	return 1;
}

/*
 * add_folio_for_migration - look the page at @addr up (folio_walk_start:
 * the pte under its lock) and isolate it.  -EFAULT without a VMA;
 * -ENOENT when nothing is present (none, or a migration entry).
 * Context: takes mmap_lock for reading, then the PTL, then the lru_lock.
 */
static int add_folio_for_migration(struct mm_struct *mm, unsigned long addr, int *node,
				   struct list_head *pagelist)
{
	struct vm_area_struct *vma;
	int err = -EFAULT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		spinlock_t *ptl;
		pte_t *ptep = pte_offset_map_lock(mm, addr, &ptl);

		err = -ENOENT;
		if (ptep) {
			pte_t pte = ptep_get(ptep);

			if (pte_present(pte))
				err = __add_folio_for_migration(vm_normal_folio(vma, addr, pte), node,
								pagelist);
			pte_unmap_unlock(ptep, ptl);
		}
	}
	mmap_read_unlock(mm);
	return err;
}

/**
 * sys_move_pages - move_pages(2) with MPOL_MF_MOVE_ALL for the one page at
 * @addr of @mm, to @node (< 0: another node than the page's).  The lookup
 * and the isolation run under mmap_lock; the migration does not hold it:
 * it reaches the page's mappings only through the rmap.
 * Returns 0 (migrated, or already there), -EFAULT, -ENOENT, -EBUSY,
 * -EAGAIN (not migrated after the retries), -ENOMEM (no frame on the
 * node), or -EINVAL (no such node).
 * Context: no locks held; may sleep.
 */
int sys_move_pages(struct mm_struct *mm, unsigned long addr, int node)
{
	struct list_head pagelist = LIST_HEAD_INIT(pagelist);
	int err;

	if (node >= machine->nr_nodes)
		return -EINVAL;	/* the kernel's -ENODEV */
	err = add_folio_for_migration(mm, addr & PAGE_MASK, &node, &pagelist);
	if (err <= 0)
		return err;
	/* do_move_pages_to_node */
	err = migrate_pages(&pagelist, alloc_migration_target, NULL, (unsigned long)node,
			    MIGRATE_SYNC, MR_SYSCALL);
	if (err)
		putback_movable_pages(&pagelist);
	return err;
}
