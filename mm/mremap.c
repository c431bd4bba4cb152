/*
 * mm/mremap.c - moving and resizing mappings (model)
 *
 * Models: sys_mremap / do_mremap with struct vma_remap_struct (Linux 7.0:
 *         check_mremap_params, check_prep_vma, mremap_at, mremap_to,
 *         remap_move for a pure move across several VMAs, shrink_vma,
 *         expand_vma with vma_expandable and vma_merge_extend, move_vma,
 *         copy_vma_and_data with the reverse move on failure,
 *         dontunmap_complete, unmap_source_vma).  move_page_tables is in
 *         mm/mremap_tables.c (with why the rmap locks matter: seeds 000,
 *         001), copy_vma in mm/vma.c.
 * See lock ordering in mm/rmap.c.
 * Leaves out: hugetlb, uffd, mlock (VM_LOCKED populate), VM_ACCOUNT
 *         charging, mseal, KSM, vm_ops->mremap / may_split, RLIMIT_AS /
 *         RLIMIT_DATA.
 */
#include "lib/util.h"
#include "mm/internal.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* ------------------------------------------------------------------ */
/* the remap operation */

enum mremap_type {
	MREMAP_INVALID,		/* not classified yet */
	MREMAP_NO_RESIZE,	/* old_len == new_len: if not moved, nothing to do */
	MREMAP_SHRINK,		/* old_len > new_len */
	MREMAP_EXPAND,		/* old_len < new_len */
};

/* One mremap(2), threaded through every step (the kernel's vma_remap_struct). */
struct vma_remap_struct {
	struct mm_struct *mm;
	/* what the caller asked for (lengths page aligned by do_mremap) */
	unsigned long addr;		/* the source; remap_move: the current piece */
	unsigned long old_len;		/* the source's length */
	unsigned long new_len;		/* the destination's length */
	unsigned long flags;		/* MREMAP_* */
	unsigned long new_addr;		/* the destination, once decided */
	/* state */
	struct vm_area_struct *vma;	/* the VMA holding addr; NULL when invalidated */
	unsigned long delta;		/* |old_len - new_len| */
	enum mremap_type remap_type;
	bool mmap_locked;		/* mmap_lock still held for writing */
};

static bool vrm_implies_new_addr(const struct vma_remap_struct *vrm)
{
	return vrm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}

/* A pure move: fixed and the same length (may span several VMAs). */
static bool vrm_move_only(const struct vma_remap_struct *vrm)
{
	return (vrm->flags & MREMAP_FIXED) && vrm->old_len == vrm->new_len;
}

static void vrm_set_delta(struct vma_remap_struct *vrm)
{
	vrm->delta = vrm->old_len > vrm->new_len ? vrm->old_len - vrm->new_len :
						   vrm->new_len - vrm->old_len;
}

static enum mremap_type vrm_remap_type(const struct vma_remap_struct *vrm)
{
	if (!vrm->delta)
		return MREMAP_NO_RESIZE;
	return vrm->old_len > vrm->new_len ? MREMAP_SHRINK : MREMAP_EXPAND;
}

static bool vrm_will_map_new(const struct vma_remap_struct *vrm)
{
	return vrm->remap_type == MREMAP_EXPAND || vrm_implies_new_addr(vrm);
}

static bool vrm_overlaps(const struct vma_remap_struct *vrm)
{
	unsigned long end_old = vrm->addr + vrm->old_len;
	unsigned long end_new = vrm->new_addr + vrm->new_len;

	return end_old > vrm->new_addr && end_new > vrm->addr;
}

/*
 * do_munmap_checked - do_vmi_munmap with the range checks the kernel's
 * do_vmi_munmap makes itself (the model's leaves them to its callers).
 * With @unlock, mmap_lock is dropped on success only, as munmap does.
 */
static int do_munmap_checked(struct mm_struct *mm, unsigned long start, unsigned long len,
			     bool unlock)
{
	if (offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (!len)
		return -EINVAL;
	return do_vmi_munmap(mm, start, len, unlock);
}

/*
 * check_map_count_against_split - room for the VMAs a move may add: the
 * copy (+1) and the split of the source's remains (+1); with
 * @before_unmaps also the splits of the destination (fixed) and of a
 * shrink (+2).
 */
static bool check_map_count_against_split(struct mm_struct *mm, bool before_unmaps)
{
	int map_count = mm->map_count + (before_unmaps ? 2 : 0);

	mmap_assert_write_locked(mm);
	return map_count + 2 <= MAX_MAP_COUNT;
}

/* check_mremap_params: the argument checks before any lock (all -EINVAL). */
static long check_mremap_params(const struct vma_remap_struct *vrm)
{
	if (vrm->flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (offset_in_page(vrm->addr))
		return -EINVAL;
	/* A zero old_len is allowed (duplicating a shared mapping); a zero new_len is not. */
	if (!vrm->new_len || vrm->new_len > TASK_SIZE)
		return -EINVAL;
	if (!vrm_implies_new_addr(vrm))
		return 0;
	if (vrm->new_addr > TASK_SIZE - vrm->new_len || offset_in_page(vrm->new_addr))
		return -EINVAL;
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -EINVAL;	/* a given address implies a move */
	if ((vrm->flags & MREMAP_DONTUNMAP) && vrm->old_len != vrm->new_len)
		return -EINVAL;
	if (vrm_overlaps(vrm))
		return -EINVAL;
	return 0;
}

/*
 * check_prep_vma - the checks against the VMA at addr (vrm->vma, from
 * vma_lookup): it must exist; a move or an expansion may not cross its
 * end (a shrink may: it only unmaps), and only a shared mapping may be
 * duplicated with old_len 0.
 */
static long check_prep_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long old_len, new_len, pgoff;

	if (!vma)
		return -EFAULT;
	vrm_set_delta(vrm);
	vrm->remap_type = vrm_remap_type(vrm);
	if (!vrm_implies_new_addr(vrm))
		vrm->new_addr = vrm->addr;
	if (!vrm_will_map_new(vrm))
		return 0;
	old_len = vrm->old_len;
	new_len = vrm->new_len;
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;	/* "attempted to duplicate a private mapping" */
	if (vrm->remap_type == MREMAP_SHRINK)
		old_len = new_len;	/* only what stays must lie in the VMA */
	if (old_len > vma->vm_end - vrm->addr)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	pgoff = vma->vm_pgoff + ((vrm->addr - vma->vm_start) >> PAGE_SHIFT);
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	return 0;
}

/*
 * shrink_vma - unmap [addr + new_len, addr + old_len), whatever VMAs are
 * there.  With @drop_lock (the shrink is all there is to do) munmap drops
 * mmap_lock on success; otherwise the VMA at addr is looked up again.
 */
static long shrink_vma(struct vma_remap_struct *vrm, bool drop_lock)
{
	long res;

	VM_BUG_ON(vrm->remap_type != MREMAP_SHRINK);
	res = do_munmap_checked(vrm->mm, vrm->addr + vrm->new_len, vrm->delta, drop_lock);
	vrm->vma = NULL;	/* invalidated */
	if (res)
		return res;
	if (drop_lock) {
		vrm->mmap_locked = false;
	} else {
		vrm->vma = vma_lookup(vrm->mm, vrm->addr);
		if (!vrm->vma)
			return -EFAULT;
	}
	return 0;
}

/*
 * vrm_set_new_addr - where the move goes: the given address (fixed), a
 * hint (dontunmap alone), or anywhere, as mmap chooses for the VMA's file
 * (an anonymous mapping's new range is 2 MiB aligned when its length is
 * a multiple of 2 MiB, as mmap's).
 */
static long vrm_set_new_addr(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long map_flags = 0, res;

	if (vrm->flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	res = get_unmapped_area(vrm->mm, vma->vm_file,
				vrm_implies_new_addr(vrm) ? vrm->new_addr : 0, vrm->new_len,
				map_flags);
	if (IS_ERR_ADDR(res))
		return (long)res;
	vrm->new_addr = res;
	return 0;
}

/*
 * copy_vma_and_data - the new VMA (copy_vma), then its page tables
 * (move_page_tables).  When the tables could not all move, the ptes
 * already moved go back (a reverse move_page_tables under the rmap
 * locks: in that direction the destination, the old VMA, generally comes
 * first in walk order) and vrm is pointed at the new range, so that
 * move_vma unmaps it instead of the old one: the caller sees -ENOMEM and
 * the mapping as it was.  *new_vma_ptr: the new VMA, or NULL if none was
 * made.
 */
static int copy_vma_and_data(struct vma_remap_struct *vrm, struct vm_area_struct **new_vma_ptr)
{
	struct vm_area_struct *vma = vrm->vma, *new_vma;
	unsigned long new_pgoff = vma->vm_pgoff + ((vrm->addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long moved_len;
	PAGETABLE_MOVE(pmc, NULL, NULL, vrm->addr, vrm->new_addr, vrm->old_len);

	new_vma = copy_vma(&vma, vrm->new_addr, vrm->new_len, new_pgoff, &pmc.need_rmap_locks);
	if (!new_vma) {
		*new_vma_ptr = NULL;
		return -ENOMEM;
	}
	vrm->vma = vma;
	pmc.old = vma;
	pmc.new = new_vma;

	moved_len = move_page_tables(&pmc);
	*new_vma_ptr = new_vma;
	if (moved_len >= vrm->old_len)
		return 0;

	/*
	 * Seed 004 (2010, exec's shift_arg_pages: "When move_page_tables()
	 * fails, some ptes are moved but others are not and ... there is no
	 * rollback routine"): move them back, or (none) leave them in the
	 * new range, which is unmapped below with the pages in it.
	 */
	if (vm_variant(VAR_MOVE_FAIL) == MOVE_FAIL_ROLLBACK) {
		PAGETABLE_MOVE(pmc_revert, new_vma, vma, vrm->new_addr, vrm->addr, moved_len);

		/* The old tables are still there: this needs no allocation. */
		pmc_revert.need_rmap_locks = true;
		move_page_tables(&pmc_revert);
	}
	vrm->vma = new_vma;
	vrm->old_len = vrm->new_len;
	vrm->addr = vrm->new_addr;
	return -ENOMEM;
}

/*
 * dontunmap_complete - the old range stays mapped, empty: if the whole
 * old VMA moved, it keeps no link to the anon_vma its pages went with (a
 * fault there starts afresh).
 */
static void dontunmap_complete(struct vma_remap_struct *vrm, struct vm_area_struct *new_vma)
{
	struct vm_area_struct *vma = vrm->vma;

	if (new_vma != vma && vrm->addr == vma->vm_start &&
	    vrm->addr + vrm->old_len == vma->vm_end)
		unlink_anon_vmas(vma);
}

/*
 * unmap_source_vma - the copy becomes a move: unmap the old range (or,
 * after a failure, the new one).  Best effort, as in the kernel: if a
 * split runs out of memory the range stays mapped.
 */
static void unmap_source_vma(struct vma_remap_struct *vrm)
{
	(void)do_munmap_checked(vrm->mm, vrm->addr, vrm->old_len, false);
	vrm->vma = NULL;	/* invalidated */
}

/*
 * move_vma - copy the VMA and its page tables to vrm->new_addr, then
 * unmap the old range (or keep it, empty, with dontunmap).
 * Returns the new address or -errno.
 */
static long move_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *new_vma;
	int err;

	if (!check_map_count_against_split(vrm->mm, false))
		return -ENOMEM;
	err = copy_vma_and_data(vrm, &new_vma);
	if (err && !new_vma)
		return err;
	vrm->mm->total_vm += vrm->new_len >> PAGE_SHIFT;	/* vrm_stat_account */
	if (!err && (vrm->flags & MREMAP_DONTUNMAP))
		dontunmap_complete(vrm, new_vma);
	else
		unmap_source_vma(vrm);
	return err ? err : (long)vrm->new_addr;
}

/*
 * mremap_to - move to a given address (fixed: what is there is unmapped
 * first) or, with dontunmap alone, to one chosen with new_addr as a hint;
 * a shrink is done in place first.
 */
static long mremap_to(struct vma_remap_struct *vrm)
{
	long err;

	if (vrm->flags & MREMAP_FIXED) {
		err = do_munmap_checked(vrm->mm, vrm->new_addr, vrm->new_len, false);
		vrm->vma = NULL;	/* invalidated */
		if (err)
			return err;
		vrm->vma = vma_lookup(vrm->mm, vrm->addr);
		if (!vrm->vma)
			return -EFAULT;
	}
	if (vrm->remap_type == MREMAP_SHRINK) {
		err = shrink_vma(vrm, false);
		if (err)
			return err;
		vrm->old_len = vrm->new_len;	/* only what is left moves */
	}
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/*
 * vma_expandable - may @vma grow by @delta in place: no overflow, nothing
 * mapped in the way, and the whole fits below TASK_SIZE.
 */
static bool vma_expandable(struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;

	if (end < vma->vm_end)
		return false;
	if (find_vma_intersection(vma->vm_mm, vma->vm_end, end))
		return false;
	if (get_unmapped_area(vma->vm_mm, NULL, vma->vm_start, end - vma->vm_start, MAP_FIXED) &
	    ~PAGE_MASK)
		return false;
	return true;
}

/*
 * expand_vma - grow in place when [addr, addr + old_len) ends the VMA and
 * the space after it is free; otherwise move (maymove) or fail -ENOMEM.
 */
static long expand_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	long err;

	if (vma->vm_end - vrm->addr == vrm->old_len && vma_expandable(vma, vrm->delta)) {
		vma = vma_merge_extend(vma, vrm->delta);
		if (!vma)
			return -ENOMEM;
		vrm->vma = vma;
		vrm->mm->total_vm += vrm->delta >> PAGE_SHIFT;	/* vrm_stat_account */
		return (long)vrm->addr;
	}
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* mremap_at - no address given: resize in place, or move when growing needs it. */
static long mremap_at(struct vma_remap_struct *vrm)
{
	long res;

	switch (vrm->remap_type) {
	case MREMAP_NO_RESIZE:
		return (long)vrm->addr;
	case MREMAP_SHRINK:
		/* The unmap is the whole operation: munmap may drop mmap_lock. */
		res = shrink_vma(vrm, true);
		return res ? res : (long)vrm->addr;
	case MREMAP_EXPAND:
		return expand_vma(vrm);
	case MREMAP_INVALID:
		break;
	}
	VM_WARN_ON_ONCE(1);
	return -EINVAL;
}

/*
 * remap_move - fixed, same length: every VMA piece in [addr, addr +
 * old_len) moves to the same offset from new_addr (the gaps between them
 * are kept, and what the destination has in those gaps stays).  The
 * range must start inside a VMA.  A piece that fails stops the move with
 * the pieces before it moved.  Returns the first piece's new address.
 */
static long remap_move(struct vma_remap_struct *vrm)
{
	unsigned long start = vrm->addr, end = vrm->addr + vrm->old_len;
	unsigned long target_addr = vrm->new_addr, last_end = 0, cursor = start;
	long res = -EFAULT;
	bool seen_vma = false;

	/*
	 * The kernel's VMA iterator goes on after the end of the VMA it
	 * found last and stops at the end of the range, even if a VMA the
	 * move made (a merge with the source, left in place by dontunmap)
	 * covers the range again.
	 */
	while (cursor < end) {
		struct vm_area_struct *vma = find_vma(vrm->mm, cursor);
		unsigned long addr, len, offset;
		long res_vma;

		if (!vma || vma->vm_start >= end)
			break;
		if (!seen_vma && start < vma->vm_start)
			return -EFAULT;		/* no gap at the start */
		addr = MAX(vma->vm_start, start);
		len = MIN(end, vma->vm_end) - addr;
		offset = seen_vma ? vma->vm_start - last_end : 0;
		last_end = vma->vm_end;
		cursor = vma->vm_end;		/* the iterator goes on after this VMA */

		vrm->vma = vma;
		vrm->addr = addr;
		vrm->new_addr = target_addr + offset;
		vrm->old_len = vrm->new_len = len;
		res_vma = check_prep_vma(vrm);
		if (!res_vma)
			res_vma = mremap_to(vrm);
		if (IS_ERR_ADDR((unsigned long)res_vma))
			return res_vma;
		if (!seen_vma)
			res = res_vma;
		seen_vma = true;
		target_addr = (unsigned long)res_vma + vrm->new_len;
	}
	return res;
}

static long do_mremap(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	long res;

	vrm->old_len = PAGE_ALIGN(vrm->old_len);	/* 0 when rounding overflows */
	vrm->new_len = PAGE_ALIGN(vrm->new_len);
	res = check_mremap_params(vrm);
	if (res)
		return res;

	mmap_write_lock(mm);
	vrm->mmap_locked = true;
	if (!check_map_count_against_split(mm, true)) {
		res = -ENOMEM;
		goto out;
	}
	if (vrm_move_only(vrm)) {
		res = remap_move(vrm);
	} else {
		vrm->vma = vma_lookup(mm, vrm->addr);
		res = check_prep_vma(vrm);
		if (res)
			goto out;
		res = vrm_implies_new_addr(vrm) ? mremap_to(vrm) : mremap_at(vrm);
	}
out:
	if (vrm->mmap_locked)
		mmap_write_unlock(mm);
	return res;
}

/**
 * sys_mremap - mremap(2): shrink, expand in place, or move (maymove,
 * fixed NEW, dontunmap), with Linux 7.0's checks and errors.
 * Returns the (new) address or -errno.
 * Context: takes mmap_lock for writing (a shrink drops it inside munmap);
 * may take the rmap locks and page-table locks; may yield.
 */
long sys_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	struct vma_remap_struct vrm = {
		.mm = mm,
		.addr = addr,
		.old_len = old_len,
		.new_len = new_len,
		.flags = flags,
		.new_addr = new_addr,
		.remap_type = MREMAP_INVALID,
	};

	return do_mremap(&vrm);
}
