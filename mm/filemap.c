/*
 * mm/filemap.c - the page cache (model)
 *
 * Models: filemap_add_folio, filemap_remove_folio (with
 *         filemap_unaccount_folio's check that the folio is not mapped),
 *         filemap_get_folio, filemap_grab_folio, filemap_fault (i_size
 *         checked before and, under the folio lock, after; a folio whose
 *         ->mapping changed is looked up again; lock_folio_maybe_drop_mmap
 *         and the retry after reading a folio with mmap_lock dropped),
 *         filemap_map_pages with next_uptodate_folio (fault-around: trylock,
 *         ->mapping and i_size rechecked under the lock),
 *         filemap_page_mkwrite, folio_mark_dirty, filemap_read (pread) and
 *         generic_perform_write (pwrite), and a disk per regular file.
 * A regular file's content is its page cache where a folio is present,
 * else its disk; writeback copies a dirty folio to the disk.
 * See lock ordering in mm/rmap.c.
 * Leaves out: readahead (a fault reads only its page), large folios,
 *         writeback I/O and its flags, memory cgroups, workingset shadows.
 */
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

/* fault_recheck=off is the design of seed 003 (objrmap vs truncate). */
static bool fault_rechecks(void)
{
	return vm_variant(VAR_FAULT_RECHECK) == FAULT_RECHECK_ON;
}

/* ------------------------------------------------------------------ */
/* the disk */

/*
 * The disk's block map (inode->disk) is the filesystem's: with real
 * threads its own lock (VM_DISK_LOCK, as ext4's i_data_sem) covers the
 * map and the copies to and from the blocks.
 */
void file_read_disk(struct inode *inode, pgoff_t index, unsigned char *dst)
{
	const unsigned char *block;

	vm_host_lock(VM_DISK_LOCK);
	block = inode->shmem ? NULL : xa_load(&inode->disk, index);
	if (block)
		vm_data_copy(dst, block, PAGE_SIZE);
	else
		vm_data_fill(dst, 0, PAGE_SIZE);
	vm_host_unlock(VM_DISK_LOCK);
}

int file_write_disk(struct inode *inode, pgoff_t index, const unsigned char *src)
{
	unsigned char *block;
	int err = 0;

	VM_BUG_ON(inode->shmem);
	vm_host_lock(VM_DISK_LOCK);
	block = xa_load(&inode->disk, index);
	if (!block) {
		block = vm_alloc(VM_ALLOC_DISK, PAGE_SIZE);
		if (!block) {
			err = -ENOMEM;
			goto out;
		}
		if (xa_store(&inode->disk, index, block)) {
			vm_free(VM_ALLOC_DISK, block);
			err = -ENOMEM;
			goto out;
		}
	}
	vm_data_copy(block, src, PAGE_SIZE);
out:
	vm_host_unlock(VM_DISK_LOCK);
	return err;
}

/* Drop the disk blocks wholly past @newsize and zero the tail of the last. */
void file_truncate_disk(struct inode *inode, loff_t newsize)
{
	uint64_t index = ((uint64_t)newsize + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned char *block;

	if (inode->shmem)
		return;
	vm_host_lock(VM_DISK_LOCK);
	while ((block = xa_find(&inode->disk, &index, UINT64_MAX))) {
		xa_erase(&inode->disk, index);
		vm_free(VM_ALLOC_DISK, block);
	}
	if (offset_in_page(newsize)) {
		block = xa_load(&inode->disk, (uint64_t)newsize >> PAGE_SHIFT);
		if (block)
			memset(block + offset_in_page(newsize), 0, PAGE_SIZE - offset_in_page(newsize));
	}
	vm_host_unlock(VM_DISK_LOCK);
}

/**
 * folio_writeback_clean - write a dirty file folio to the disk and clear
 * its dirty bit (the model's writeback completes at once).
 * Context: folio locked.
 */
int folio_writeback_clean(struct folio *folio)
{
	int err;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	if (!folio_test_dirty(folio) || !folio->mapping || folio->mapping->host->shmem)
		return 0;
	err = file_write_disk(folio->mapping->host, folio->index, folio_address(folio));
	if (!err)
		folio_clear_dirty(folio);
	return err;
}

/* ------------------------------------------------------------------ */
/* adding and removing */

/**
 * filemap_add_folio - insert a new folio at @index; on success it is
 * locked, has the page cache's reference and is on the LRU.
 * Returns 0, or -EEXIST when another folio got there first.
 * Context: takes the folio lock, then the i_pages lock, then the lru_lock.
 */
int filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index)
{
	folio_lock(folio);
	folio_ref_add(folio, 1);
	folio->mapping = mapping;
	folio->index = index;
	if (mapping->host->shmem)
		folio_set_swapbacked(folio);
	xa_lock(mapping);
	if (xa_load(&mapping->i_pages, index) || xa_store(&mapping->i_pages, index, folio)) {
		xa_unlock(mapping);
		folio->mapping = NULL;
		vm_atomic_fetch_sub(&folio->_refcount, 1, __ATOMIC_RELAXED);	/* the cache's, never visible */
		folio_unlock(folio);
		return -EEXIST;
	}
	mapping->nrpages++;
	xa_unlock(mapping);
	folio_add_lru(folio);
	return 0;
}

/**
 * filemap_remove_folio - take a locked folio out of the page cache and
 * drop the cache's reference.  Removing a folio that is still mapped is a
 * bug (filemap_unaccount_folio): every pte must be gone first.
 * Context: folio locked; takes the i_pages lock.
 */
void filemap_remove_folio(struct folio *folio)
{
	struct address_space *mapping = folio->mapping;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	VM_BUG_ON_FOLIO(folio_mapped(folio), folio);
	xa_lock(mapping);
	VM_BUG_ON_FOLIO(xa_load(&mapping->i_pages, folio->index) != folio, folio);
	xa_erase(&mapping->i_pages, folio->index);
	folio->mapping = NULL;
	mapping->nrpages--;
	xa_unlock(mapping);
	folio_clear_dirty(folio);
	folio_put(folio);
}

/**
 * filemap_find_get - the first folio of the page cache in [*index, end],
 * *index moved to it, with a reference; NULL if none.
 *
 * Lockless, as filemap_get_entry / find_get_entries are: the folio found
 * may lose its last reference before we take ours (folio_try_get fails:
 * look again) or leave the cache and be reused (the slot no longer holds
 * it: drop the reference and look again).  The explorer reaches those
 * windows with --points=atomics.  With real threads the i_pages lock
 * stands in for RCU, keeping the xarray's nodes while we look.
 * Context: any; with real threads takes the i_pages lock.
 */
struct folio *filemap_find_get(struct address_space *mapping, uint64_t *index, pgoff_t end)
{
	struct folio *folio;

repeat:
	if (vm_real_threads)
		xa_lock(mapping);
	folio = xa_find(&mapping->i_pages, index, end);
	if (folio && !folio_try_get(folio)) {
		if (vm_real_threads)
			xa_unlock(mapping);
		goto repeat;
	}
	if (folio && xa_load(&mapping->i_pages, *index) != folio) {
		if (vm_real_threads)
			xa_unlock(mapping);
		folio_put(folio);
		goto repeat;
	}
	if (vm_real_threads)
		xa_unlock(mapping);
	return folio;
}

/* filemap_get_folio: a lockless lookup; +1 reference on the folio found. */
struct folio *filemap_get_folio(struct address_space *mapping, pgoff_t index)
{
	uint64_t i = index;

	return filemap_find_get(mapping, &i, index);
}

/* Read a new folio's content (disk, or zeros for shmem) and mark it uptodate. */
static void filemap_read_folio(struct folio *folio)
{
	file_read_disk(folio->mapping->host, folio->index, folio_address(folio));
	folio_set_uptodate(folio);
}

/*
 * filemap_grab_folio - the folio at @index, locked and referenced,
 * created (not uptodate) if absent.  NULL with *err = -ENOMEM.
 */
struct folio *filemap_grab_folio(struct address_space *mapping, pgoff_t index, int *err)
{
	struct folio *folio;

	for (;;) {
		folio = filemap_get_folio(mapping, index);
		if (folio) {
			folio_lock(folio);
			if (folio->mapping == mapping)
				return folio;
			folio_unlock(folio);	/* truncated meanwhile */
			folio_put(folio);
			continue;
		}
		folio = folio_alloc(0, 0, -1);
		if (!folio) {
			*err = -ENOMEM;
			return NULL;
		}
		if (!filemap_add_folio(mapping, folio, index))
			return folio;
		folio_put(folio);
	}
}

/* ------------------------------------------------------------------ */
/* faults */

/*
 * lock_folio_maybe_drop_mmap - lock the folio; if that means sleeping on
 * the first try of a fault, drop mmap_lock first (the fault is retried).
 * Returns false with nothing locked only for FAULT_FLAG_RETRY_NOWAIT.
 */
static bool lock_folio_maybe_drop_mmap(struct vm_fault *vmf, struct folio *folio, bool *dropped)
{
	if (folio_trylock(folio))
		return true;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return false;
	if (!*dropped && (vmf->flags & FAULT_FLAG_ALLOW_RETRY) && !(vmf->flags & FAULT_FLAG_TRIED)) {
		mmap_read_unlock(vmf->vma->vm_mm);
		*dropped = true;
	}
	folio_lock(folio);
	return true;
}

/**
 * filemap_fault - ->fault of regular files: find or create the folio at
 * vmf->pgoff, lock it, check it was not truncated meanwhile, and return it
 * locked (VM_FAULT_LOCKED).  SIGBUS at or past EOF, checked before and,
 * under the folio lock, after.
 * Context: mmap_lock held for reading; takes invalidate_lock shared to
 * create a folio, the folio lock; may drop mmap_lock and return
 * VM_FAULT_RETRY.
 */
vm_fault_t filemap_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct inode *inode = mapping->host;
	pgoff_t index = vmf->pgoff;
	bool mapping_locked = false, dropped = false;
	struct folio *folio;
	vm_fault_t ret = 0;
	int err;

	if (index >= DIV_ROUND_UP_PAGES(i_size_read(inode)))
		return VM_FAULT_SIGBUS;
	folio = filemap_get_folio(mapping, index);
	if (folio) {
		if (!folio_test_uptodate(folio)) {
			filemap_invalidate_lock_shared(mapping);
			mapping_locked = true;
		}
	} else {
		ret = VM_FAULT_MAJOR;
retry_find:
		if (!mapping_locked) {
			filemap_invalidate_lock_shared(mapping);
			mapping_locked = true;
		}
		folio = filemap_grab_folio(mapping, index, &err);
		if (!folio) {
			filemap_invalidate_unlock_shared(mapping);
			return VM_FAULT_OOM;
		}
		folio_unlock(folio);	/* FGP_FOR_MMAP: locked again below */
	}
	if (!lock_folio_maybe_drop_mmap(vmf, folio, &dropped))
		goto out_retry;
	/* Did it get truncated? */
	if (fault_rechecks() && folio->mapping != mapping) {
		folio_unlock(folio);
		folio_put(folio);
		goto retry_find;
	}
	if (!folio_test_uptodate(folio)) {
		if (!mapping_locked) {
			folio_unlock(folio);
			folio_put(folio);
			goto retry_find;
		}
		/* Read it, with mmap_lock dropped on the first try, then retry. */
		if (!dropped && (vmf->flags & FAULT_FLAG_ALLOW_RETRY) &&
		    !(vmf->flags & FAULT_FLAG_TRIED)) {
			mmap_read_unlock(vmf->vma->vm_mm);
			dropped = true;
		}
		filemap_read_folio(folio);
		folio_unlock(folio);
		if (dropped)
			goto out_retry;
		folio_put(folio);
		goto retry_find;
	}
	if (dropped) {
		folio_unlock(folio);
		goto out_retry;
	}
	if (mapping_locked)
		filemap_invalidate_unlock_shared(mapping);
	/* Found the folio and have a reference on it: recheck i_size under its lock. */
	if (fault_rechecks() && index >= DIV_ROUND_UP_PAGES(i_size_read(inode))) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->folio = folio;
	return ret | VM_FAULT_LOCKED;
out_retry:
	folio_put(folio);
	if (mapping_locked)
		filemap_invalidate_unlock_shared(mapping);
	return ret | VM_FAULT_RETRY;
}

/*
 * next_uptodate_folio - the next folio in [*index, end] that fault-around
 * may map: uptodate, trylocked, still in this mapping, inside EOF.
 * Returns it locked with a reference, *index at its index.
 */
static struct folio *next_uptodate_folio(struct address_space *mapping, uint64_t *index,
					 pgoff_t end)
{
	struct folio *folio;

	for (; *index <= end; (*index)++) {
		folio = filemap_find_get(mapping, index, end);
		if (!folio)
			return NULL;
		if (folio_test_locked(folio) || !folio_test_uptodate(folio)) {
			folio_put(folio);
			continue;
		}
		if (!folio_trylock(folio)) {
			folio_put(folio);
			continue;
		}
		if (fault_rechecks() &&
		    (folio->mapping != mapping ||
		     *index >= DIV_ROUND_UP_PAGES(i_size_read(mapping->host)))) {
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}
		return folio;
	}
	return NULL;
}

/**
 * filemap_map_pages - fault-around: map the ready folios of
 * [start_pgoff, end_pgoff] whose ptes are none.  Returns VM_FAULT_NOPAGE
 * if the faulting page itself got mapped.
 * Context: mmap_lock held for reading; trylocks folios, takes the PTL.
 */
vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t file_end = DIV_ROUND_UP_PAGES(i_size_read(mapping->host));
	uint64_t index = start_pgoff;
	struct folio *folio;
	vm_fault_t ret = 0;
	spinlock_t *ptl;
	long rss = 0;
	int counter;

	if (!file_end)
		return 0;
	end_pgoff = MIN(end_pgoff, file_end - 1);
	folio = next_uptodate_folio(mapping, &index, end_pgoff);
	if (!folio)
		return 0;
	if (pte_alloc(vma->vm_mm, vmf->address)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_OOM;
	}
	counter = mm_counter_file(folio);
	pte_offset_map_lock(vma->vm_mm, vmf->address, &ptl);
	do {
		unsigned long addr = vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
		pte_t *pte = pte_offset_map(vma->vm_mm, addr);

		if (pte_none(ptep_get(pte))) {
			pte_t entry = pfn_pte(folio_pfn(folio), vma->vm_page_prot | _PAGE_ACCESSED);

			if (pte_write(entry) && folio_test_dirty(folio))
				entry = pte_mkdirty(entry);
			if (addr == vmf->address)
				ret = VM_FAULT_NOPAGE;
			folio_add_file_rmap_pte(folio, vma);
			set_pte_at(vma->vm_mm, addr, pte, entry);
			rss++;	/* the lookup's reference is now the mapping's */
		} else {
			folio_put(folio);
		}
		folio_unlock(folio);
		index++;
	} while ((folio = next_uptodate_folio(mapping, &index, end_pgoff)) != NULL);
	add_mm_counter(vma->vm_mm, counter, rss);
	spin_unlock(ptl);
	return ret;
}

/**
 * filemap_page_mkwrite - a shared pte is about to become writable: the
 * folio gets dirty, unless truncation took it away (then the fault retries).
 * Context: mmap_lock held for reading; takes the folio lock.
 */
vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct folio *folio = vmf->folio;

	folio_lock(folio);
	if (folio->mapping != mapping) {
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	folio_mark_dirty(folio);
	return VM_FAULT_LOCKED;
}

/* folio_mark_dirty: for a page-cache folio, under the i_pages lock (the dirty tag). */
void folio_mark_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (folio_test_dirty(folio))
		return;
	if (mapping) {
		xa_lock(mapping);
		folio_set_dirty(folio);
		xa_unlock(mapping);
	} else {
		folio_set_dirty(folio);
	}
}

/* ------------------------------------------------------------------ */
/* read(2) and write(2) */

/* filemap_create_folio: a new folio read from disk, under invalidate_lock. */
static struct folio *filemap_get_uptodate(struct address_space *mapping, pgoff_t index, int *err)
{
	struct folio *folio = filemap_get_folio(mapping, index);

	if (folio && folio_test_uptodate(folio))
		return folio;
	if (folio)
		folio_put(folio);
	filemap_invalidate_lock_shared(mapping);
	folio = filemap_grab_folio(mapping, index, err);
	if (folio) {
		if (!folio_test_uptodate(folio))
			filemap_read_folio(folio);
		folio_unlock(folio);
	}
	filemap_invalidate_unlock_shared(mapping);
	return folio;
}

/**
 * filemap_readahead - MADV_WILLNEED: read up to 32 pages of [start, last]
 * below EOF into the page cache (force_page_cache_ra's limit); errors are
 * ignored.  Returns the pages now cached.
 */
unsigned long filemap_readahead(struct file *file, pgoff_t start, pgoff_t last)
{
	pgoff_t end = DIV_ROUND_UP_PAGES(i_size_read(file->f_inode));
	unsigned long nr = 0;
	int err;

	for (pgoff_t index = start; index <= last && index < end && nr < 32; index++, nr++) {
		struct folio *folio = filemap_get_uptodate(file->f_mapping, index, &err);

		if (!folio)
			break;
		folio_put(folio);
	}
	return nr;
}

/**
 * filemap_read - pread: copy [pos, pos + len) clipped to i_size through the
 * page cache.  Returns the bytes copied or -ENOMEM.
 * Context: no locks held on entry (reads do not take i_rwsem); may yield.
 */
long filemap_read(struct address_space *mapping, unsigned char *buf, unsigned long len,
		  unsigned long long pos)
{
	unsigned long done = 0;
	int err = 0;

	while (done < len) {
		unsigned long long at = pos + done;
		unsigned long off = offset_in_page(at), n;
		struct folio *folio;

		if (at >= (unsigned long long)i_size_read(mapping->host))
			break;
		folio = filemap_get_uptodate(mapping, at >> PAGE_SHIFT, &err);
		if (!folio)
			return done ? (long)done : err;
		/* i_size may have shrunk meanwhile: never copy past it */
		n = MIN(PAGE_SIZE - off, len - done);
		if (at + n > (unsigned long long)i_size_read(mapping->host))
			n = at < (unsigned long long)i_size_read(mapping->host) ?
			    (unsigned long)((unsigned long long)i_size_read(mapping->host) - at) : 0;
		vm_data_copy(buf + done, folio_address(folio) + off, n);
		folio_mark_accessed(folio);
		folio_put(folio);
		if (!n)
			break;
		done += n;
	}
	return (long)done;
}

/**
 * generic_perform_write - pwrite: copy @buf to the file at @pos through
 * the page cache, growing i_size page by page.  Returns the bytes written
 * or -ENOMEM.
 * Context: i_rwsem held for writing; takes folio locks; may yield.
 */
long generic_perform_write(struct file *file, const struct user_buf *buf, unsigned long long pos)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	unsigned long done = 0;
	int err = 0;

	while (done < buf->len) {
		pgoff_t index = (pos + done) >> PAGE_SHIFT;
		unsigned long off = offset_in_page(pos + done);
		unsigned long n = MIN(PAGE_SIZE - off, buf->len - done);
		loff_t old_size = i_size_read(inode), end = (loff_t)(pos + done + n);
		struct folio *folio = filemap_grab_folio(mapping, index, &err);

		if (!folio)
			return done ? (long)done : err;
		if (!folio_test_uptodate(folio)) {
			if (off || n < PAGE_SIZE)
				filemap_read_folio(folio);
			folio_set_uptodate(folio);
		}
		user_buf_copy(folio_address(folio) + off, buf, done, n);
		folio_mark_dirty(folio);
		if (end > old_size) {
			i_size_write(inode, end);
			folio_unlock(folio);
			folio_put(folio);
			if (!inode->shmem)	/* ext4 zeroes the gap; shmem_write_end does not */
				pagecache_isize_extended(inode, old_size, (loff_t)(pos + done));
		} else {
			folio_unlock(folio);
			folio_put(folio);
		}
		done += n;
		cond_resched();
	}
	return (long)done;
}
