/*
 * mm/rmap_walk.c - walking the reverse map (model)
 *
 * Models: rmap_walk, rmap_walk_anon, rmap_walk_file, vma_address,
 *         try_to_unmap / try_to_unmap_one (file folios; anon folios need
 *         swap, which comes later), try_to_migrate / try_to_migrate_one
 *         with invalid_migration_vma (exec's temporary stack, seed 004).
 * A walker holds the folio lock, then the rmap lock for reading (the
 * anon_vma root's rwsem or i_mmap_rwsem), and visits every VMA whose
 * interval covers the folio, in tree order: ascending start pgoff, equal
 * starts oldest first.  The variants anon_walk and file_walk reverse the
 * order among equal starts (seeds 001 and 000).
 * See lock ordering in mm/rmap.c.
 * Leaves out: KSM, hugetlb, device memory, batched TLB flushes,
 *         rmap_walk_locked and folio_referenced (they come with THP split
 *         and reclaim, their first users).
 */
#include "mm/internal.h"

/**
 * vma_address - where page @pgoff (of a folio of @nr pages) sits in @vma,
 * or -EFAULT when it does not fall inside.
 */
unsigned long vma_address(const struct vm_area_struct *vma, pgoff_t pgoff, unsigned long nr)
{
	unsigned long address;

	if (pgoff >= vma->vm_pgoff) {
		address = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
		if (address < vma->vm_start || address >= vma->vm_end)
			address = (unsigned long)-EFAULT;
	} else if (pgoff + nr - 1 >= vma->vm_pgoff) {
		address = vma->vm_start;
	} else {
		address = (unsigned long)-EFAULT;
	}
	return address;
}

/* Visit one candidate VMA; false stops the walk. */
static bool rmap_visit(struct folio *folio, struct vm_area_struct *vma,
		       struct rmap_walk_control *rwc)
{
	unsigned long address = vma_address(vma, folio->index, (unsigned long)folio_nr_pages(folio));
	struct ex_trace_ctx prev;
	bool more;

	VM_BUG_ON_VMA(address == (unsigned long)-EFAULT, vma);
	prev = trace_vma_enter(address);
	cond_resched();
	if (rwc->invalid_vma && rwc->invalid_vma(vma, rwc->arg))
		more = true;
	else
		more = rwc->rmap_one(folio, vma, address, rwc->arg) &&
		       !(rwc->done && rwc->done(folio));
	trace_vma_exit(prev);
	return more;
}

/*
 * The VMAs a walk visits, in visiting order.  The kernel iterates the tree
 * lazily; the tree cannot change while the walker holds the rmap lock for
 * reading, so collecting first visits the same VMAs in the same order.
 * Reversal among equal start pgoffs is the newest_first variant.
 */
void vma_walk_list_add(struct vma_walk_list *wl, struct vm_area_struct *vma)
{
	if (wl->nr == wl->cap) {
		int cap = wl->cap ? wl->cap * 2 : 16;
		struct vm_area_struct **v = vm_alloc(VM_ALLOC_TEMP, (size_t)cap * sizeof(*v));
		unsigned long *s = vm_alloc(VM_ALLOC_TEMP, (size_t)cap * sizeof(*s));

		if (!v || !s)
			ex_panic("rmap walk: no memory for the visit list");
		for (int i = 0; i < wl->nr; i++) {
			v[i] = wl->vmas[i];
			s[i] = wl->starts[i];
		}
		vm_free(VM_ALLOC_TEMP, wl->vmas);
		vm_free(VM_ALLOC_TEMP, wl->starts);
		wl->vmas = v;
		wl->starts = s;
		wl->cap = cap;
	}
	wl->starts[wl->nr] = vma->vm_pgoff;
	wl->vmas[wl->nr++] = vma;
}

/*
 * Seeds 000 and 001: a walk that visits equal-start VMAs newest first
 * meets mremap's or fork's destination before its source.
 */
void vma_walk_list_reverse_equal_starts(struct vma_walk_list *wl)
{
	for (int i = 0; i < wl->nr;) {
		int j = i;

		while (j + 1 < wl->nr && wl->starts[j + 1] == wl->starts[i])
			j++;
		for (int a = i, b = j; a < b; a++, b--) {
			struct vm_area_struct *t = wl->vmas[a];

			wl->vmas[a] = wl->vmas[b];
			wl->vmas[b] = t;
		}
		i = j + 1;
	}
}

void vma_walk_list_free(struct vma_walk_list *wl)
{
	vm_free(VM_ALLOC_TEMP, wl->vmas);
	vm_free(VM_ALLOC_TEMP, wl->starts);
}

/*
 * i_mmap_walk_newest_first - the file_walk variant (seed 000), consulted
 * here for every walk of i_mmap: rmap_walk_file and truncate's
 * unmap_mapping_range alike.
 */
bool i_mmap_walk_newest_first(void)
{
	return vm_variant(VAR_FILE_WALK) == WALK_NEWEST_FIRST;
}

/* Visit the collected VMAs newest first among equal starts, then free the list. */
static void walk_list_visit(struct folio *folio, struct rmap_walk_control *rwc,
			    struct vma_walk_list *wl)
{
	vma_walk_list_reverse_equal_starts(wl);
	for (int i = 0; i < wl->nr; i++)
		if (!rmap_visit(folio, wl->vmas[i], rwc))
			break;
	vma_walk_list_free(wl);
}

static struct anon_vma *rmap_walk_anon_lock(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *anon_vma;

	if (rwc->anon_lock)
		return rwc->anon_lock(folio, rwc);
	anon_vma = folio_anon_vma(folio);
	if (!anon_vma)
		return NULL;
	if (anon_vma_trylock_read(anon_vma))
		return anon_vma;
	if (rwc->try_lock) {
		rwc->contended = true;
		return NULL;
	}
	anon_vma_lock_read(anon_vma);
	return anon_vma;
}

/**
 * rmap_walk_anon - visit every VMA that may map @folio through its anon_vma.
 * Context: folio locked; takes the anon_vma root lock for reading; may
 * yield (cond_resched per VMA).
 */
static void rmap_walk_anon(struct folio *folio, struct rmap_walk_control *rwc)
{
	pgoff_t start = folio->index, last = start + (unsigned long)folio_nr_pages(folio) - 1;
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	anon_vma = rmap_walk_anon_lock(folio, rwc);
	if (!anon_vma)
		return;

	if (vm_variant(VAR_ANON_WALK) == WALK_OLDEST_FIRST) {
		anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, start, last)
			if (!rmap_visit(folio, avc->vma, rwc))
				break;
	} else {
		struct vma_walk_list wl = { 0 };

		anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, start, last)
			vma_walk_list_add(&wl, avc->vma);
		walk_list_visit(folio, rwc, &wl);
	}
	anon_vma_unlock_read(anon_vma);
}

/**
 * rmap_walk_file - visit every VMA of folio->mapping's i_mmap covering it.
 * The folio lock keeps ->mapping from being cleared (truncation) and the
 * address_space alive, which makes taking i_mmap_rwsem safe.
 * Context: folio locked; takes i_mmap_rwsem for reading; may yield.
 */
static void rmap_walk_file(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct address_space *mapping = folio->mapping;
	pgoff_t start = folio->index, last = start + (unsigned long)folio_nr_pages(folio) - 1;
	struct vm_area_struct *vma;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	if (!mapping)
		return;
	if (!i_mmap_trylock_read(mapping)) {
		if (rwc->try_lock) {
			rwc->contended = true;
			return;
		}
		i_mmap_lock_read(mapping);
	}
	if (!i_mmap_walk_newest_first()) {
		vma_interval_tree_foreach(vma, &mapping->i_mmap, start, last)
			if (!rmap_visit(folio, vma, rwc))
				break;
	} else {
		struct vma_walk_list wl = { 0 };

		vma_interval_tree_foreach(vma, &mapping->i_mmap, start, last)
			vma_walk_list_add(&wl, vma);
		walk_list_visit(folio, rwc, &wl);
	}
	i_mmap_unlock_read(mapping);
}

void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	if (folio_test_anon(folio))
		rmap_walk_anon(folio, rwc);
	else
		rmap_walk_file(folio, rwc);
}

/* ------------------------------------------------------------------ */
/* try_to_unmap */

static int folio_not_mapped(struct folio *folio)
{
	return !folio_mapped(folio);
}

static struct anon_vma *walk_anon_lock(struct folio *folio, struct rmap_walk_control *rwc)
{
	return folio_lock_anon_vma_read(folio, rwc->try_lock, &rwc->contended);
}

/*
 * try_to_unmap_one - remove @folio's ptes in @vma.  For a file folio the
 * pte just goes (its data is in the page cache); an anon folio would need
 * a swap entry, and swap comes later: leaving it mapped is what the
 * kernel does when it cannot add a page to swap.
 */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, void *arg)
{
	unsigned int flags = (unsigned int)(uintptr_t)arg;
	struct page_vma_mapped_walk pvmw = {
		.pfn = folio_pfn(folio), .nr_pages = 1, .pgoff = folio->index, .vma = vma,
		.address = address, .flags = (flags & TTU_SYNC) ? PVMW_SYNC : 0,
	};

	if (folio_test_anon(folio))
		return false;
	while (page_vma_mapped_walk(&pvmw)) {
		pte_t pteval = ptep_get_and_clear(vma->vm_mm, pvmw.address, pvmw.pte);

		if (pte_dirty(pteval))
			folio_mark_dirty(folio);
		add_mm_counter(vma->vm_mm, mm_counter_file(folio), -1);
		folio_remove_rmap_pte(folio, vma);
		folio_put(folio);
	}
	return true;
}

/**
 * try_to_unmap - unmap a locked file folio from every process.  Missing a
 * pte is harmless here: the folio stays mapped and the caller sees it.
 * Context: folio locked; takes the rmap lock; may yield.
 */
void try_to_unmap(struct folio *folio, unsigned int flags)
{
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_unmap_one,
		.arg = (void *)(uintptr_t)flags,
		.done = folio_not_mapped,
		.anon_lock = walk_anon_lock,
	};

	rmap_walk(folio, &rwc);
}

/* ------------------------------------------------------------------ */
/* try_to_migrate */

/*
 * invalid_migration_vma - skip exec's temporary stack.  Seed 004 (the
 * 2010 bug, kernel-reference §6.5): exec moves the stack VMA under the
 * anon_vma lock but its ptes only later, so remove_migration_ptes would
 * look for an entry at the address the moved VMA computes and miss the
 * one still sitting at the old address.  Rather than lock exec harder,
 * migration never installs an entry there: the folio stays mapped and
 * its migration fails with EAGAIN.  remove_migration_ptes needs no such
 * test: it has nothing to find in a VMA this walk skipped.
 */
static bool invalid_migration_vma(struct vm_area_struct *vma, void *arg)
{
	(void)arg;
	return vma_is_temporary_stack(vma);
}

/*
 * try_to_migrate_one - replace @folio's ptes in @vma by migration
 * entries: writable, readable-exclusive (an anon page mapped by this mm
 * alone: restored with PageAnonExclusive) or readable, with the pte's
 * young and dirty bits.  The entry holds no mapcount and no reference:
 * the rmap and the pte's reference go now; rss stays (the page is still
 * the process's).  An exclusive page that may be pinned is not shared
 * (folio_try_share_anon_rmap_pte refuses): its pte is put back and the
 * walk stops, leaving the folio mapped, so the migration fails.
 * Context: folio locked, rmap lock held for reading; takes the PTL.
 */
static bool try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma,
			       unsigned long address, void *arg)
{
	unsigned int flags = (unsigned int)(uintptr_t)arg;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long pfn = folio_pfn(folio);
	struct page_vma_mapped_walk pvmw = {
		.pfn = pfn, .nr_pages = 1, .pgoff = folio->index, .vma = vma,
		.address = address, .flags = (flags & TTU_SYNC) ? PVMW_SYNC : 0,
	};

	while (page_vma_mapped_walk(&pvmw)) {
		bool anon_exclusive = folio_test_anon(folio) && PageAnonExclusive(folio);
		/* ptep_clear_flush: cleared before the exclusive bit may go (see below) */
		pte_t pteval = ptep_get_and_clear(mm, pvmw.address, pvmw.pte);
		softleaf_t entry;
		pte_t swp_pte;

		if (pte_dirty(pteval))
			folio_mark_dirty(folio);
		/*
		 * folio_try_share_anon_rmap_pte wants the pte cleared first: a
		 * GUP-fast that pins from now on cannot find the page, one that
		 * pinned before is seen in the refcount.
		 */
		if (anon_exclusive && folio_try_share_anon_rmap_pte(folio)) {
			set_pte_at(mm, pvmw.address, pvmw.pte, pteval);
			page_vma_mapped_walk_done(&pvmw);
			return false;
		}
		if (pte_write(pteval))
			entry = make_writable_migration_entry(pfn);
		else if (anon_exclusive)
			entry = make_readable_exclusive_migration_entry(pfn);
		else
			entry = make_readable_migration_entry(pfn);
		swp_pte = softleaf_to_pte(entry);
		if (pte_young(pteval))
			swp_pte = pte_swp_mkyoung(swp_pte);
		if (pte_dirty(pteval))
			swp_pte = pte_swp_mkdirty(swp_pte);
		set_pte_at(mm, pvmw.address, pvmw.pte, swp_pte);
		folio_remove_rmap_pte(folio, vma);
		folio_put(folio);
	}
	return true;
}

/**
 * try_to_migrate - replace every pte of a locked folio by a migration
 * entry.  A pte the walk misses leaves the folio mapped (the caller sees
 * folio_mapped() and gives up), which is harmless; what must never happen
 * is an entry remove_migration_ptes cannot find afterwards.
 * Context: folio locked; takes the rmap lock (folio_lock_anon_vma_read or
 * i_mmap_rwsem) for reading and the PTLs; may yield.
 */
void try_to_migrate(struct folio *folio, unsigned int flags)
{
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_migrate_one,
		.arg = (void *)(uintptr_t)flags,
		.done = folio_not_mapped,
		.anon_lock = walk_anon_lock,
	};

	/*
	 * Seed 004: skip exec's temporary stack (exec_stack_migrate=skip, the
	 * 7.0 design).  anon_vma_lock (exec relocates its stack under the
	 * anon_vma lock, enforced on the exec side) and unprotected (the 2.6.33
	 * design) let the walk into it.
	 */
	if (folio_test_anon(folio) && vm_variant(VAR_EXEC_STACK_MIGRATE) == EXEC_STACK_SKIP)
		rwc.invalid_vma = invalid_migration_vma;
	rmap_walk(folio, &rwc);
}
