/*
 * mm/vma_exec.c - the VMA side of exec (model)
 *
 * Models: create_init_stack_vma (the temporary stack at the top of the new
 *         mm, tagged VM_STACK_INCOMPLETE_SETUP) and relocate_vma_down (the
 *         stack shift: vma_expand, move_page_tables, free the vacated page
 *         tables, vma_shrink).
 * While the stack moves, its VMA already translates page indices to the
 * new addresses but the ptes are still at the old ones: an rmap walker
 * would look in the wrong place.  Migration therefore skips VMAs tagged
 * VM_STACK_INCOMPLETE_SETUP (mm/rmap_walk.c, seed 004); the
 * exec_stack_migrate=anon_vma_lock design instead holds the anon_vma root
 * lock across the whole relocation, as the 2010 patch in seed 004 did.
 * On failure nothing is undone: "we rely on process cleanup".
 * Leaves out: the stack's 128 KiB expansion after the shift, mprotect to
 *         the executable's stack flags, KSM, THP.
 */
#include "mm/internal.h"

/**
 * create_init_stack_vma - the new mm's temporary stack: one page just
 * below the top of the address space, growing down as the arguments are
 * copied in.  Returns 0 or -ENOMEM, and the VMA in *vmap.
 * Context: takes @mm's mmap_lock for writing.
 */
int create_init_stack_vma(struct mm_struct *mm, struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);
	int err;

	if (!vma)
		return -ENOMEM;
	mmap_write_lock(mm);
	vma->vm_end = STACK_TOP_MAX;
	vma->vm_start = vma->vm_end - PAGE_SIZE;
	vma->vm_flags = VM_STACK_FLAGS | VM_STACK_INCOMPLETE_SETUP;
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma_set_page_prot(vma);
	err = vma_link(mm, vma);
	if (err) {
		mmap_write_unlock(mm);
		vm_area_free(vma);
		return err;
	}
	mm->total_vm = 1;
	mmap_write_unlock(mm);
	*vmap = vma;
	return 0;
}

/*
 * The exec_stack_migrate=anon_vma_lock design (seed 004): the anon_vma
 * root lock is taken once, for writing, around the expand, the move and
 * the shrink, which then do not take it again.
 */
static bool relocate_under_anon_vma_lock(const struct vm_area_struct *vma)
{
	return vma->anon_vma && vm_variant(VAR_EXEC_STACK_MIGRATE) == EXEC_STACK_ANON_VMA_LOCK;
}

/**
 * relocate_vma_down - move @vma and its page tables down by @shift bytes.
 * Returns 0, -EFAULT if another VMA is in the way, or -ENOMEM if the move
 * ran out of memory (the half-moved stack is left to process cleanup).
 * Context: mmap_lock held for writing; takes the PTLs, and the anon_vma
 * lock (vma_expand, vma_shrink, or once around all under the
 * anon_vma_lock design).
 */
int relocate_vma_down(struct vm_area_struct *vma, unsigned long shift)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old_start = vma->vm_start, old_end = vma->vm_end;
	unsigned long length = old_end - old_start;
	unsigned long new_start = old_start - shift, new_end = old_end - shift;
	struct vm_area_struct *next = vma->vm_next, *prev = vma->vm_prev;
	bool locked = relocate_under_anon_vma_lock(vma);
	PAGETABLE_MOVE(pmc, vma, vma, old_start, new_start, length);
	int err = 0;

	VM_BUG_ON(new_start > new_end);
	/* nothing may lie between where the stack goes and where it is */
	if (prev && prev->vm_end > new_start)
		return -EFAULT;
	if (locked)
		anon_vma_lock_write(vma->anon_vma);
	/* cover both ranges with the same pgoff: indices now map to the new addresses */
	if (locked)
		vma_resize_anon_locked(vma, new_start, old_end, vma->vm_pgoff);
	else if (vma_expand(vma, new_start, old_end, vma->vm_pgoff, NULL))
		err = -ENOMEM;
	if (err)
		goto out;
	/*
	 * The window of seed 004: the VMA translates indices to the new
	 * addresses, the ptes are still at the old ones.
	 */
	sched_point("relocate_vma_down: expanded, ptes not yet moved");
	/* need_rmap_locks stays false: the tag (or the held lock) protects the walkers */
	pmc.for_stack = true;
	if (move_page_tables(&pmc) != length) {
		err = -ENOMEM;	/* "on failure we rely on process cleanup" */
		goto out;
	}
	/* the vacated range's page tables; its ptes all moved */
	if (new_end > old_start)
		free_pgd_range(mm, new_end, old_end, new_end, next ? next->vm_start : 0);
	else
		free_pgd_range(mm, old_start, old_end, new_end, next ? next->vm_start : 0);
	if (locked)
		vma_resize_anon_locked(vma, new_start, new_end, vma->vm_pgoff);
	else
		vma_shrink(vma, new_start, new_end, vma->vm_pgoff);
out:
	if (locked)
		anon_vma_unlock_write(vma->anon_vma);
	return err;
}
