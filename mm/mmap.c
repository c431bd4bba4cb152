/*
 * mm/mmap.c - creating, growing, copying and destroying address spaces (model)
 *
 * Models: sys_mmap / do_mmap / mmap_region (merge with a neighbour, or a
 *         new VMA; a shared anonymous mapping gets its shmem file),
 *         __get_unmapped_area with x86's arch_get_unmapped_area_topdown
 *         (hint, top-down search below mmap_base, bottom-up fallback) and
 *         the THP alignment of anonymous mappings (__thp_get_unmapped_area),
 *         sys_munmap, expand_downwards (growsdown stacks), dup_mmap (fork:
 *         anon_vma_fork and the child's file VMA right after the parent's in
 *         i_mmap, both before any pte is copied) and exit_mmap.
 * Address choice follows SCENARIOS.md: no randomisation, mmap_base fixed.
 * Leaves out: mlock, VM_ACCOUNT and overcommit, mempolicy, userfaultfd,
 *         uprobes, VM_DONTCOPY/VM_WIPEONFORK (no madvise sets them yet).
 */
#include "mm/internal.h"

/* ------------------------------------------------------------------ */
/* address choice */

static unsigned long round_hint_to_min(unsigned long hint)
{
	hint &= PAGE_MASK;
	if (hint && hint < MMAP_MIN_ADDR)
		return PAGE_ALIGN(MMAP_MIN_ADDR);
	return hint;
}

/* x86 arch_get_unmapped_area_topdown: the hint if it fits, else the highest fit. */
static unsigned long arch_get_unmapped_area_topdown(struct mm_struct *mm, unsigned long addr,
						    unsigned long len, unsigned long flags)
{
	unsigned long found;

	if (len > TASK_SIZE)
		return (unsigned long)-ENOMEM;
	if (flags & MAP_FIXED)
		return addr;
	if (addr) {
		struct vm_area_struct *vma;

		addr &= PAGE_MASK;
		if (addr <= TASK_SIZE - len) {
			vma = find_vma(mm, addr);
			if (!vma || addr + len <= vm_start_gap(vma))
				return addr;
		}
	}
	found = unmapped_area_topdown(mm, len, PAGE_SIZE, mm->mmap_base);
	if (!IS_ERR_ADDR(found))
		return found;
	/* A failed mmap() very likely kills the program: fall back to bottom-up. */
	return unmapped_area(mm, len, TASK_UNMAPPED_BASE, TASK_SIZE);
}

/*
 * thp_get_unmapped_area - an anonymous mapping whose length is a multiple
 * of 2 MiB: search (top-down, then bottom-up) for len + 2 MiB, then take
 * the 2 MiB-aligned block in it: round_down(r + 2 MiB, 2 MiB), which for
 * a top-down result is the highest aligned block of the padded range.
 * 0 when no such range exists (the caller searches for len alone).
 */
static unsigned long thp_get_unmapped_area(struct mm_struct *mm, unsigned long len,
					   unsigned long flags)
{
	unsigned long len_pad = len + PMD_SIZE, ret;

	if (len_pad < len)
		return 0;
	ret = arch_get_unmapped_area_topdown(mm, 0, len_pad, flags);
	if (IS_ERR_ADDR(ret))
		return 0;
	return (ret + PMD_SIZE) & PMD_MASK;
}

/**
 * get_unmapped_area - where a new mapping of @len bytes goes, or -errno.
 * Context: mmap_lock held for writing.
 */
unsigned long get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				unsigned long len, unsigned long flags)
{
	unsigned long found = 0;

	if (len > TASK_SIZE)
		return (unsigned long)-ENOMEM;
	if (!file && !addr && !(flags & MAP_FIXED) && machine->config.thp != 0 &&
	    !(len & (PMD_SIZE - 1)))
		found = thp_get_unmapped_area(mm, len, flags);
	if (!found)
		found = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	if (IS_ERR_ADDR(found))
		return found;
	if (found > TASK_SIZE - len)
		return (unsigned long)-ENOMEM;
	if (offset_in_page(found))
		return (unsigned long)-EINVAL;
	return found;
}

/* ------------------------------------------------------------------ */
/* mmap */

static unsigned long calc_vm_flags(unsigned long prot, unsigned long flags)
{
	unsigned long vm_flags = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (prot & PROT_READ)
		vm_flags |= VM_READ;
	if (prot & PROT_WRITE)
		vm_flags |= VM_WRITE;
	if (prot & PROT_EXEC)
		vm_flags |= VM_EXEC;
	if (flags & MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;
	return vm_flags;
}

/* file_mmap_ok: the file range must fit below MAX_LFS_FILESIZE. */
static bool file_mmap_ok(pgoff_t pgoff, unsigned long len)
{
	unsigned long long maxsize = MAX_LFS_FILESIZE;

	if (len > maxsize)
		return false;
	maxsize -= len;
	return pgoff <= maxsize >> PAGE_SHIFT;
}

/*
 * mmap_region - map [addr, addr + len): whatever was there goes first
 * (MAP_FIXED), then a neighbour grows over the range, or a new VMA is made.
 */
static long mmap_region(struct mm_struct *mm, struct file *file, unsigned long addr,
			unsigned long len, unsigned long vm_flags, pgoff_t pgoff)
{
	struct vm_area_struct *vma;
	int err;

	err = do_vmi_munmap(mm, addr, len, false);
	if (err)
		return err;
	if (!(vm_flags & VM_SHARED) || file) {
		vma = vma_merge_new_range(mm, addr, addr + len, vm_flags, file, pgoff);
		if (vma)
			return (long)addr;
	}
	vma = vm_area_alloc(mm);
	if (!vma)
		return -ENOMEM;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_pgoff = pgoff;
	vma->vm_flags = vm_flags;
	if (file) {
		vma->vm_file = get_file(file);
	} else if (vm_flags & VM_SHARED) {
		vma->vm_file = shmem_zero_setup(len);
		if (!vma->vm_file) {
			vm_area_free(vma);
			return -ENOMEM;
		}
	}
	vma_set_page_prot(vma);
	vma_link(mm, vma);
	mm->total_vm += len >> PAGE_SHIFT;
	return (long)addr;
}

/**
 * do_mmap - the checks and the address choice of mmap(2), in the kernel's
 * order (docs/semantics.md "mmap"), then mmap_region.  *populate is the
 * length to populate afterwards (MAP_POPULATE).
 * Returns the address or -errno.
 * Context: mmap_lock held for writing.
 */
long do_mmap(struct mm_struct *mm, struct file *file, unsigned long addr, unsigned long len,
	     unsigned long prot, unsigned long flags, pgoff_t pgoff, unsigned long *populate)
{
	unsigned long vm_flags;
	long ret;

	mmap_assert_write_locked(mm);
	*populate = 0;
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(addr);
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > MAX_MAP_COUNT)
		return -ENOMEM;
	vm_flags = calc_vm_flags(prot, flags);
	addr = get_unmapped_area(mm, file, addr, len, flags);
	if (IS_ERR_ADDR(addr))
		return (long)addr;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;
	if (file) {
		if (!file_mmap_ok(pgoff, len))
			return -EOVERFLOW;
		if (flags & MAP_SHARED)
			vm_flags |= VM_SHARED | VM_MAYSHARE;
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
	} else if (flags & MAP_SHARED) {
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		pgoff = 0;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	} else {
		pgoff = addr >> PAGE_SHIFT;
	}
	ret = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (ret >= 0 && (flags & MAP_POPULATE))
		*populate = len;
	return ret;
}

/**
 * sys_mmap - mmap(2).  *progress: pages populated (MAP_POPULATE).
 * Context: takes mmap_lock for writing; populates with it held for reading.
 */
long sys_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	      unsigned long flags, struct file *file, unsigned long off, unsigned long *progress)
{
	unsigned long populate;
	long ret;

	*progress = 0;
	if (off & ~PAGE_MASK)
		return -EINVAL;
	mmap_write_lock(mm);
	ret = do_mmap(mm, file, addr, len, prot, flags, off >> PAGE_SHIFT, &populate);
	mmap_write_unlock(mm);
	if (ret >= 0 && populate)
		*progress = mm_populate(mm, (unsigned long)ret, populate);
	return ret;
}

/**
 * sys_munmap - munmap(2): the argument checks, then do_vmi_munmap, which
 * zaps with mmap_lock downgraded and drops it.
 */
int sys_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	int ret;

	if (offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (!len)
		return -EINVAL;
	mmap_write_lock(mm);
	ret = do_vmi_munmap(mm, start, len, true);
	if (ret)
		mmap_write_unlock(mm);
	return ret;
}

/* ------------------------------------------------------------------ */
/* stacks */

/**
 * expand_stack_locked - grow a growsdown VMA down to @address
 * (expand_downwards).  Returns 0, -EPERM below mmap_min_addr, -ENOMEM
 * when the guard gap or RLIMIT_STACK forbids it.
 * Context: mmap_lock held for writing; takes the anon_vma lock.
 */
int expand_stack_locked(struct vm_area_struct *vma, unsigned long address)
{
	struct vm_area_struct *prev = vma->vm_prev;
	int error = 0;

	if (!(vma->vm_flags & VM_GROWSDOWN))
		return -EFAULT;
	mmap_assert_write_locked(vma->vm_mm);
	address &= PAGE_MASK;
	if (address < MMAP_MIN_ADDR)
		return -EPERM;
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(prev) &&
	    address - prev->vm_end < STACK_GUARD_GAP)
		return -ENOMEM;
	if (anon_vma_prepare(vma))
		return -ENOMEM;
	anon_vma_lock_write(vma->anon_vma);
	if (address < vma->vm_start) {
		unsigned long size = vma->vm_end - address;
		unsigned long grow = (vma->vm_start - address) >> PAGE_SHIFT;

		error = -ENOMEM;
		if (grow <= vma->vm_pgoff && size <= RLIMIT_STACK_MAX) {
			anon_vma_interval_tree_pre_update_vma(vma);
			vma_adjust_start_end(vma, address, vma->vm_end, vma->vm_pgoff - grow);
			anon_vma_interval_tree_post_update_vma(vma);
			vma->vm_mm->total_vm += grow;
			error = 0;
		}
	}
	anon_vma_unlock_write(vma->anon_vma);
	return error;
}

/* ------------------------------------------------------------------ */
/* fork and exit */

/**
 * dup_mmap - copy @oldmm's VMAs and page tables into the new @mm.  Each
 * child VMA is linked into the rmap (anon_vma_fork; the file VMA right
 * after the parent's in i_mmap) before any of its ptes is copied, so an
 * rmap walker visiting the parent before the child cannot miss a pte.
 * Returns 0 or -ENOMEM (the caller tears the half-built @mm down).
 * Context: takes oldmm's mmap_lock, then mm's nested, both for writing.
 */
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	int retval = 0;

	mmap_write_lock(oldmm);
	mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING);
	mm->total_vm = oldmm->total_vm;
	for (struct vm_area_struct *mpnt = oldmm->mmap; mpnt; mpnt = mpnt->vm_next) {
		struct vm_area_struct *tmp = vm_area_dup(mpnt);

		if (!tmp) {
			retval = -ENOMEM;
			break;
		}
		tmp->vm_mm = mm;
		if (anon_vma_fork(tmp, mpnt)) {
			vm_area_free(tmp);
			retval = -ENOMEM;
			break;
		}
		if (tmp->vm_file) {
			struct address_space *mapping = tmp->vm_file->f_mapping;

			get_file(tmp->vm_file);
			i_mmap_lock_write(mapping);
			if (tmp->vm_flags & VM_SHARED)
				mapping->i_mmap_writable++;
			vma_interval_tree_insert_after(tmp, mpnt, &mapping->i_mmap);
			i_mmap_unlock_write(mapping);
		}
		vma_tree_insert(mm, tmp);
		struct ex_trace_ctx prev = trace_vma_enter(mpnt->vm_start);
		retval = copy_page_range(tmp, mpnt);
		trace_vma_exit(prev);
		if (retval)
			break;
	}
	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	return retval;
}

/**
 * exit_mmap - tear down every mapping of an mm nobody else uses: zap the
 * ptes under mmap_lock for reading, then under it for writing take the
 * VMAs out of the rmap trees, free the page tables, free the VMAs.
 */
void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;

	mmap_read_lock(mm);
	for (vma = mm->mmap; vma; vma = vma->vm_next)
		unmap_page_range(vma, vma->vm_start, vma->vm_end, NULL);
	mmap_read_unlock(mm);

	mmap_write_lock(mm);
	if (mm->mmap) {
		unsigned long start = mm->mmap->vm_start, end = 0;

		for (vma = mm->mmap; vma; vma = vma->vm_next) {
			unlink_anon_vmas(vma);
			unlink_file_vma(vma);
			end = vma->vm_end;
		}
		free_pgd_range(mm, start, end, 0, 0);
	}
	for (vma = mm->mmap; vma; vma = next) {
		next = vma->vm_next;
		vma_tree_erase(mm, vma);
		remove_vma(vma);
		cond_resched();
	}
	VM_BUG_ON_MM(mm->map_count, mm);
	mmap_write_unlock(mm);
}
