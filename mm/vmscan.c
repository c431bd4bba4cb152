/*
 * mm/vmscan.c - reclaim (model)
 *
 * Models: reclaim_pages / shrink_folio_list for isolated folios, as
 *         MADV_PAGEOUT drives it: trylock the folio; anon and shmem folios
 *         need swap, which is not configured yet, so they stay; a mapped
 *         file folio is unmapped (try_to_unmap); a dirty one is kept (only
 *         kswapd writes file folios back); a clean one leaves the page
 *         cache (__remove_mapping: the refcount must be exactly the
 *         isolation's and the cache's) and is freed.
 * Leaves out: LRU scanning and aging (the `reclaim` statement comes with
 *         swap), kswapd, writeback, memory cgroups, MGLRU.
 */
#include "mm/internal.h"

/* __remove_mapping: only the cache and the isolation hold references. */
static bool remove_mapping(struct address_space *mapping, struct folio *folio)
{
	bool ok;

	xa_lock(mapping);
	ok = folio_ref_count(folio) == 2 && !folio_test_dirty(folio);
	xa_unlock(mapping);
	if (ok)
		filemap_remove_folio(folio);
	return ok;
}

/* Returns true if the folio was reclaimed (its isolation reference is gone too). */
static bool shrink_folio(struct folio *folio)
{
	struct address_space *mapping;

	if (!folio_trylock(folio))
		return false;
	if (folio_test_swapbacked(folio))
		goto keep_locked;	/* anon or shmem: no swap to put it in */
	if (folio_mapped(folio)) {
		try_to_unmap(folio, 0);
		if (folio_mapped(folio))
			goto keep_locked;
	}
	if (folio_test_dirty(folio))
		goto keep_locked;	/* only kswapd writes file folios back */
	mapping = folio_mapping(folio);
	if (!mapping || !remove_mapping(mapping, folio))
		goto keep_locked;
	folio_unlock(folio);
	folio_clear_isolated(folio);
	folio_put(folio);	/* the isolation's: the folio is freed */
	return true;
keep_locked:
	folio_unlock(folio);
	return false;
}

/**
 * reclaim_pages - try to reclaim each isolated folio on @folio_list; the
 * ones kept go back to the LRU.  Returns the number reclaimed.
 * Context: no locks held; takes folio locks, rmap locks, PTLs.
 */
unsigned long reclaim_pages(struct list_head *folio_list, bool ignore_references)
{
	unsigned long nr = 0;
	struct folio *folio, *next;

	(void)ignore_references;
	list_for_each_entry_safe(folio, next, folio_list, lru) {
		list_del(&folio->lru);
		INIT_LIST_HEAD(&folio->lru);
		if (shrink_folio(folio))
			nr++;
		else
			folio_putback_lru(folio);
	}
	return nr;
}
