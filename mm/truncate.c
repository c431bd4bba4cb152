/*
 * mm/truncate.c - truncation and invalidation of the page cache (model)
 *
 * Models: truncate_setsize, truncate_pagecache (unmap_mapping_range with
 *         even_cows before and after truncate_inode_pages), and
 *         truncate_inode_pages_range: a first pass that trylocks batches of
 *         folios (find_lock_entries) and unmaps any still mapped under the
 *         folio lock (truncate_cleanup_folio) before deleting them, the
 *         partial folio at the new EOF (its tail zeroed, kept), and a second
 *         pass that sleeps on each folio lock until nothing is left.  Also
 *         truncate_inode_pages_final, invalidate_mapping_pages (drop caches)
 *         and pagecache_isize_extended.
 * See lock ordering in mm/rmap.c.
 * Leaves out: hole punching, writeback waits (writeback completes at once),
 *         large folios and their splitting, shadow entries.
 */
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

#define FOLIO_BATCH_SIZE 31

struct folio_batch {
	int nr;
	struct folio *folios[FOLIO_BATCH_SIZE];
};

/*
 * truncate_cleanup_folio - a folio about to leave the page cache: unmap it
 * if some pte was set up after the range unmap, and cancel its dirtiness.
 * Context: folio locked.
 */
static void truncate_cleanup_folio(struct folio *folio)
{
	if (folio_mapped(folio))
		unmap_mapping_folio(folio);
	folio_clear_dirty(folio);
}

/* truncate_inode_folio: context: folio locked. */
static void truncate_inode_folio(struct address_space *mapping, struct folio *folio)
{
	if (folio->mapping != mapping)
		return;
	truncate_cleanup_folio(folio);
	filemap_remove_folio(folio);
}

/*
 * find_entries - up to a batch of folios in [*start, end], each with a
 * reference; with @lock only those that could be trylocked and are still
 * in this mapping, locked (find_lock_entries), else all (find_get_entries).
 * *start moves past the last one looked at.
 */
static int find_entries(struct address_space *mapping, uint64_t *start, pgoff_t end,
			struct folio_batch *fbatch, bool lock)
{
	uint64_t index = *start;
	struct folio *folio;

	fbatch->nr = 0;
	while (fbatch->nr < FOLIO_BATCH_SIZE && index <= end &&
	       (folio = filemap_find_get(mapping, &index, end))) {
		if (!lock) {
			fbatch->folios[fbatch->nr++] = folio;
		} else if (!folio_trylock(folio)) {
			folio_put(folio);
		} else if (folio->mapping != mapping) {
			folio_unlock(folio);
			folio_put(folio);
		} else {
			fbatch->folios[fbatch->nr++] = folio;
		}
		index++;
		if (!index)
			break;
	}
	*start = index;
	return fbatch->nr;
}

/*
 * RMAPLAB_MUTANT_TRUNCATE_KEEPS_TAIL is a deliberately wrong model, built
 * only by `make test` (as $(O)/mutant) to show that `rmaplab conform`
 * catches a model that disagrees with Linux: the partial folio at the new
 * EOF keeps the bytes past it, so a mapping reads the old data where
 * Linux reads zeros.  Never defined in a normal build.
 */

/* Zero [offset, PAGE_SIZE) of the folio at the new EOF; it stays. Context: locked. */
static void truncate_inode_partial_folio(struct folio *folio, unsigned long offset)
{
#ifndef RMAPLAB_MUTANT_TRUNCATE_KEEPS_TAIL
	vm_data_fill(folio_address(folio) + offset, 0, PAGE_SIZE - offset);
#else
	(void)folio;
	(void)offset;
#endif
}

/**
 * truncate_inode_pages_range - remove every page-cache folio from @lstart
 * to the end of the file (lend = -1 only), zeroing the tail of a partial
 * folio at @lstart.
 * Context: i_rwsem and invalidate_lock held for writing; takes folio locks;
 * may yield.
 */
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend)
{
	pgoff_t start = DIV_ROUND_UP_PAGES(lstart);
	pgoff_t end = ~0UL;
	struct folio_batch fbatch;
	struct folio *folio;
	uint64_t index;

	VM_BUG_ON(lend != -1);
	if (!mapping->nrpages)
		return;

	index = start;
	while (index <= end && find_entries(mapping, &index, end, &fbatch, true)) {
		for (int i = 0; i < fbatch.nr; i++)
			truncate_cleanup_folio(fbatch.folios[i]);
		for (int i = 0; i < fbatch.nr; i++)
			filemap_remove_folio(fbatch.folios[i]);
		for (int i = 0; i < fbatch.nr; i++) {
			folio_unlock(fbatch.folios[i]);
			folio_put(fbatch.folios[i]);
		}
		cond_resched();
		if (!index)
			break;
	}

	if (offset_in_page(lstart)) {
		folio = filemap_get_folio(mapping, (pgoff_t)lstart >> PAGE_SHIFT);
		if (folio) {
			folio_lock(folio);
			if (folio->mapping == mapping)
				truncate_inode_partial_folio(folio, offset_in_page(lstart));
			folio_unlock(folio);
			folio_put(folio);
		}
	}

	index = start;
	for (;;) {
		cond_resched();
		if (!find_entries(mapping, &index, end, &fbatch, false)) {
			if (index == start)
				break;
			index = start;	/* restart to make sure all are gone */
			continue;
		}
		for (int i = 0; i < fbatch.nr; i++) {
			folio = fbatch.folios[i];
			folio_lock(folio);
			truncate_inode_folio(mapping, folio);
			folio_unlock(folio);
			folio_put(folio);
		}
		if (!index)
			index = start;
	}
}

void truncate_inode_pages_final(struct address_space *mapping)
{
	truncate_inode_pages_range(mapping, 0, -1);
}

/**
 * truncate_pagecache - unmap and remove the page cache past @newsize.
 * The first unmap_mapping_range is an optimisation (fewer single-folio
 * unmaps below); the second is for correctness: between the first and the
 * end of truncate_inode_pages, a private page may be COWed (wp_page_copy
 * takes no lock on the page-cache page), and that copy would survive past
 * EOF without it.  Both pass even_cows, so private COW copies go too.
 * Context: i_rwsem and invalidate_lock held for writing.
 */
void truncate_pagecache(struct inode *inode, loff_t newsize)
{
	struct address_space *mapping = &inode->i_data;
	loff_t holebegin = (loff_t)PAGE_ALIGN((unsigned long)newsize);

	unmap_mapping_range(mapping, holebegin, 0, 1);
	/* seed 000: a COW fault can map the old page again from here on */
	sched_point("truncate_pagecache: unmapped, pages not yet removed");
	truncate_inode_pages_range(mapping, newsize, -1);
	sched_point("truncate_pagecache: pages removed, second unmap not yet done");
	/* Seed 000: truncate_unmap=once leaves the COWs made meanwhile mapped. */
	if (vm_variant(VAR_TRUNCATE_UNMAP) == TRUNCATE_UNMAP_TWICE)
		unmap_mapping_range(mapping, holebegin, 0, 1);
}

/**
 * pagecache_isize_extended - i_size grew from @from to @to: the bytes of
 * the old last page beyond the old EOF, which a shared mapping may have
 * written, read as zero from now on (as ext4 makes them; see
 * docs/semantics.md "Growing").
 * Context: i_rwsem held for writing; takes the folio lock.
 */
void pagecache_isize_extended(struct inode *inode, loff_t from, loff_t to)
{
	unsigned long off = offset_in_page(from);
	unsigned long stop;
	struct folio *folio;
	unsigned char *block;

	if (!off || to <= from)
		return;
	stop = (unsigned long long)to - (unsigned long long)from < PAGE_SIZE - off ?
	       off + (unsigned long)(to - from) : PAGE_SIZE;
	folio = filemap_get_folio(&inode->i_data, (pgoff_t)from >> PAGE_SHIFT);
	if (folio) {
		folio_lock(folio);
		if (folio->mapping == &inode->i_data)
			vm_data_fill(folio_address(folio) + off, 0, stop - off);
		folio_unlock(folio);
		folio_put(folio);
	}
	if (!inode->shmem) {
		vm_host_lock(VM_DISK_LOCK);
		block = xa_load(&inode->disk, (uint64_t)from >> PAGE_SHIFT);
		if (block)
			memset(block + off, 0, stop - off);
		vm_host_unlock(VM_DISK_LOCK);
	}
}

/**
 * mapping_evict_folio - drop a clean, unmapped, otherwise unused folio from
 * the page cache.  Returns true if it went.
 * Context: folio locked, the caller holds one reference.
 */
bool mapping_evict_folio(struct address_space *mapping, struct folio *folio)
{
	if (folio->mapping != mapping || folio_test_dirty(folio) || folio_mapped(folio))
		return false;
	if (folio_ref_count(folio) > 2)	/* the cache's and ours only */
		return false;
	filemap_remove_folio(folio);
	return true;
}

/* invalidate_mapping_pages: evict what can be evicted, skip the rest. */
static void invalidate_mapping_pages(struct address_space *mapping)
{
	struct folio_batch fbatch;
	uint64_t index = 0;

	while (find_entries(mapping, &index, ~0UL, &fbatch, true)) {
		for (int i = 0; i < fbatch.nr; i++) {
			mapping_evict_folio(mapping, fbatch.folios[i]);
			folio_unlock(fbatch.folios[i]);
			folio_put(fbatch.folios[i]);
		}
		if (!index)
			break;
	}
}

/* drop_caches: every clean, unmapped page-cache page of every regular file. */
void drop_pagecache(void)
{
	struct inode *inode;

	list_for_each_entry(inode, &machine->inode_list, i_list)
		if (!inode->shmem)
			invalidate_mapping_pages(&inode->i_data);
}
