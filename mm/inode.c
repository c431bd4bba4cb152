/*
 * mm/inode.c - files as the model needs them (the parts of fs/inode.c,
 * fs/file_table.c, fs/read_write.c and fs/open.c that mm meets)
 *
 * Models: inodes with i_size, i_rwsem and one address_space (page cache,
 *         i_mmap, i_mmap_rwsem, invalidate_lock); struct file references
 *         (VMAs hold them); pread/pwrite/ftruncate entry points with their
 *         argument checks; eviction of an inode's page cache when its last
 *         reference goes.
 * A regular file is either on a disk filesystem with ext4's rules (a disk
 * behind the page cache, see mm/filemap.c; s_maxbytes 16 TiB - 4 KiB) or
 * a tmpfs file as memfd_create(2) makes (shmem: no disk; s_maxbytes
 * MAX_LFS_FILESIZE).
 * Leaves out: directories, names, permissions, O_DIRECT, writeback.
 */
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

struct inode *inode_alloc(const char *name, bool shmem)
{
	struct inode *inode = vm_alloc(VM_ALLOC_INODE, sizeof(*inode));
	struct address_space *mapping;

	if (!inode)
		return NULL;
	inode->i_count = 1;
	inode->shmem = shmem;
	inode->s_maxbytes = shmem ? (loff_t)MAX_LFS_FILESIZE : (loff_t)EXT4_MAXBYTES;
	inode->i_ino = __atomic_add_fetch(&machine->next_ino, 1, __ATOMIC_RELAXED);
	snprintf(inode->name, sizeof(inode->name), "%s", name);
	ex_lock_init(&inode->i_rwsem, &ex_class_i_rwsem);
	xa_init(&inode->disk, vm_xa_alloc, vm_xa_free, NULL);
	mapping = &inode->i_data;
	mapping->host = inode;
	xa_init(&mapping->i_pages, vm_xa_alloc, vm_xa_free, NULL);
	ex_lock_init(&mapping->i_pages_lock, &ex_class_i_pages);
	mapping->i_mmap = RB_ROOT_CACHED;
	ex_lock_init(&mapping->i_mmap_rwsem, &ex_class_i_mmap_rwsem);
	ex_lock_init(&mapping->invalidate_lock, &ex_class_invalidate_lock);
	vm_host_lock(VM_INODE_LIST_LOCK);
	list_add_tail(&inode->i_list, &machine->inode_list);
	vm_host_unlock(VM_INODE_LIST_LOCK);
	return inode;
}

/* iput: the last reference frees the page cache, the disk and the inode. */
void iput(struct inode *inode)
{
	uint64_t index = 0;
	unsigned char *block;

	VM_BUG_ON(__atomic_load_n(&inode->i_count, __ATOMIC_RELAXED) <= 0);
	if (__atomic_sub_fetch(&inode->i_count, 1, __ATOMIC_ACQ_REL))
		return;
	VM_BUG_ON(!RB_EMPTY_ROOT(&inode->i_data.i_mmap.rb_root));
	truncate_inode_pages_final(&inode->i_data);
	VM_BUG_ON(inode->i_data.nrpages);
	while ((block = xa_find(&inode->disk, &index, UINT64_MAX))) {
		xa_erase(&inode->disk, index);
		vm_free(VM_ALLOC_DISK, block);
	}
	xa_destroy(&inode->disk);
	xa_destroy(&inode->i_data.i_pages);
	vm_host_lock(VM_INODE_LIST_LOCK);
	list_del(&inode->i_list);
	vm_host_unlock(VM_INODE_LIST_LOCK);
	vm_free(VM_ALLOC_INODE, inode);
}

/**
 * alloc_file - an open file on @inode, taking over the caller's reference
 * to it; one reference on the file.  NULL on ENOMEM (the inode is put).
 */
struct file *alloc_file(struct inode *inode)
{
	struct file *file = vm_alloc(VM_ALLOC_FILE, sizeof(*file));

	if (!file) {
		iput(inode);
		return NULL;
	}
	file->f_inode = inode;
	file->f_mapping = &inode->i_data;
	file->f_count = 1;
	return file;
}

/**
 * file_create - a regular file of @size zero bytes, opened read-write: on
 * the disk filesystem, or a memfd (tmpfs) when @memfd.  Returns it with
 * one reference (the scenario's), NULL on ENOMEM, or an ERR_PTR: -EINVAL
 * for a negative size, -EFBIG past s_maxbytes (as ftruncate(2) on the new
 * file would say).
 */
struct file *file_create(const char *name, unsigned long long size, bool memfd)
{
	struct inode *inode;

	if (size > (unsigned long long)MAX_LFS_FILESIZE)
		return ERR_PTR(-EINVAL);
	inode = inode_alloc(name, memfd);
	if (!inode)
		return NULL;
	if ((loff_t)size > inode->s_maxbytes) {
		iput(inode);
		return ERR_PTR(-EFBIG);
	}
	i_size_write(inode, (loff_t)size);
	return alloc_file(inode);
}

void fput(struct file *file)
{
	VM_BUG_ON(__atomic_load_n(&file->f_count, __ATOMIC_RELAXED) <= 0);
	if (__atomic_sub_fetch(&file->f_count, 1, __ATOMIC_ACQ_REL))
		return;
	iput(file->f_inode);
	vm_free(VM_ALLOC_FILE, file);
}

/**
 * rw_verify - the checks pread(2) and pwrite(2) make before any I/O, in
 * their order: a negative offset is -EINVAL (ksys_pread64); a buffer that
 * reaches past TASK_SIZE is -EFAULT (access_ok in vfs_read); an end past
 * MAX_LFS_FILESIZE is -EINVAL (rw_verify_area).  The language's reads and
 * writes name no buffer: it is at RW_USER_BUF, in a process of its own
 * (rmaplab conform's runner puts its buffer there), so @count bytes fit
 * when RW_USER_BUF + @count <= TASK_SIZE (probed on Linux 6.18).
 */
int rw_verify(unsigned long long pos, unsigned long long count)
{
	if (pos > (unsigned long long)MAX_LFS_FILESIZE)
		return -EINVAL;
	if (count > TASK_SIZE - RW_USER_BUF)
		return -EFAULT;
	if (count > (unsigned long long)MAX_LFS_FILESIZE - pos)
		return -EINVAL;
	return 0;
}

/*
 * pread(2) of @count bytes at @pos into @buf, which holds @size: the
 * checks of rw_verify, then at most min(@count, @size) bytes, fewer at
 * EOF.  Returns the bytes read or -ENOMEM.
 */
long kernel_read(struct file *file, unsigned char *buf, unsigned long size,
		 unsigned long long count, unsigned long long pos)
{
	int err = rw_verify(pos, count);

	if (err)
		return err;
	if (!count || !size)
		return 0;
	return filemap_read(file->f_mapping, buf, (unsigned long)MIN(count, size), pos);
}

/*
 * pwrite(2): the checks of rw_verify; then generic_write_check_limits:
 * -EFBIG at or past s_maxbytes, and a write that would cross it is cut
 * short there.
 */
long kernel_write(struct file *file, const struct user_buf *buf, unsigned long long pos)
{
	struct inode *inode = file->f_inode;
	struct user_buf b = *buf;
	long ret = rw_verify(pos, buf->len);

	if (ret)
		return ret;
	if (!buf->len)
		return 0;
	if (pos >= (unsigned long long)inode->s_maxbytes)
		return -EFBIG;
	b.len = MIN(b.len, (unsigned long long)inode->s_maxbytes - pos);
	inode_lock(inode);
	ret = generic_perform_write(file, &b, pos);
	inode_unlock(inode);
	return ret;
}

/**
 * do_truncate - ftruncate(2): under i_rwsem, i_size is written first, then
 * with invalidate_lock held for writing the page cache is truncated (unmap,
 * remove, unmap again) and the disk cut.  -EINVAL for a negative length,
 * -EFBIG past s_maxbytes (inode_newsize_ok).  Growing zeroes the old last
 * page's tail on the disk filesystem (ext4, which also runs
 * truncate_pagecache at the new size) and nothing on tmpfs (shmem_setattr
 * only sets i_size when the file grows).
 * Context: takes i_rwsem, then invalidate_lock; may yield.
 */
int do_truncate(struct file *file, unsigned long long length)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = file->f_mapping;
	loff_t oldsize;

	if (length > (unsigned long long)MAX_LFS_FILESIZE)
		return -EINVAL;
	if ((loff_t)length > inode->s_maxbytes)
		return -EFBIG;
	inode_lock(inode);
	oldsize = i_size_read(inode);
	i_size_write(inode, (loff_t)length);
	if ((loff_t)length > oldsize && inode->shmem) {
		/* shmem_setattr: growing a tmpfs file touches no page */
		inode_unlock(inode);
		return 0;
	}
	if ((loff_t)length > oldsize)	/* the whole old tail, as ext4 */
		pagecache_isize_extended(inode, oldsize, MAX_LFS_FILESIZE);
	filemap_invalidate_lock(mapping);
	truncate_pagecache(inode, (loff_t)length);
	file_truncate_disk(inode, (loff_t)length);
	filemap_invalidate_unlock(mapping);
	inode_unlock(inode);
	return 0;
}
