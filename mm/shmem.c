/*
 * mm/shmem.c - shared anonymous memory (model)
 *
 * Models: shmem_zero_setup (a MAP_SHARED|MAP_ANONYMOUS mapping gets a
 *         hidden shmem file of the mapping's length, so fork shares its
 *         pages through the page cache) and shmem_fault with
 *         shmem_get_folio (find or allocate a zeroed swap-backed folio;
 *         SIGBUS at or past i_size, rechecked under the folio lock).
 * shmem folios have no disk: they leave memory only through swap, which
 * comes later, so reclaim keeps them.
 * memfd files (file_create with memfd) are shmem inodes too: pread,
 * pwrite and truncate go through the page cache code of regular files,
 * which knows shmem folios have no disk behind them.
 * Leaves out: huge shmem, fallocate, swap.
 */
#include "mm/internal.h"

/**
 * shmem_zero_setup - the hidden file behind a shared anonymous mapping.
 * Returns the file (one reference, the VMA's) or NULL on ENOMEM.
 */
struct file *shmem_zero_setup(unsigned long size)
{
	struct inode *inode = inode_alloc("dev/zero (shmem)", true);

	if (!inode)
		return NULL;
	inode->i_private = true;
	i_size_write(inode, (loff_t)size);
	return alloc_file(inode);
}

/*
 * shmem_get_folio - the folio at @index, locked and referenced, allocated
 * zeroed if absent.  -EINVAL at or past EOF; -ENOMEM.
 */
static int shmem_get_folio(struct inode *inode, pgoff_t index, struct folio **foliop)
{
	struct address_space *mapping = &inode->i_data;
	struct folio *folio;

	for (;;) {
		if (index >= DIV_ROUND_UP_PAGES(i_size_read(inode)))
			return -EINVAL;
		folio = filemap_get_folio(mapping, index);
		if (folio) {
			folio_lock(folio);
			if (folio->mapping != mapping) {
				folio_unlock(folio);
				folio_put(folio);
				continue;
			}
		} else {
			folio = folio_alloc(__GFP_ZERO, 0, -1);
			if (!folio)
				return -ENOMEM;
			if (filemap_add_folio(mapping, folio, index)) {
				folio_put(folio);
				continue;
			}
			folio_set_uptodate(folio);
		}
		if (index >= DIV_ROUND_UP_PAGES(i_size_read(inode))) {
			folio_unlock(folio);
			folio_put(folio);
			return -EINVAL;
		}
		*foliop = folio;
		return 0;
	}
}

/**
 * shmem_fault - ->fault of shmem: the folio at vmf->pgoff, locked.
 * Context: mmap_lock held for reading; takes the folio lock.
 */
vm_fault_t shmem_fault(struct vm_fault *vmf)
{
	int err = shmem_get_folio(vmf->vma->vm_file->f_inode, vmf->pgoff, &vmf->folio);

	if (err == -EINVAL)
		return VM_FAULT_SIGBUS;
	if (err)
		return VM_FAULT_OOM;
	return VM_FAULT_LOCKED;
}
