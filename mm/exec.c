/*
 * mm/exec.c - exec's memory side (model of fs/exec.c)
 *
 * Models: bprm_mm_init (a new mm with its temporary stack), copy_strings
 *         through get_arg_page (the argument bytes written into the new
 *         mm page by page through get_user_pages_remote, growing the
 *         stack down), exec_mmap (the point of no return: the task
 *         switches to the new mm and the old one is put), and
 *         setup_arg_pages (under the new mm's mmap_lock: relocate the
 *         stack down by its shift, then clear VM_STACK_INCOMPLETE_SETUP).
 * The order is SCENARIOS.md's `exec` and Linux's.  A relocation that fails
 * after the switch kills the task: its half-moved stack goes with the mm
 * (seed 004: "we rely on process cleanup").
 * Leaves out: the binary itself (no text or data mappings), the
 *         randomised stack top (the shift is fixed), the stack's 128 KiB
 *         expansion, credentials, files, signals.
 */
#include "mm/internal.h"

/*
 * get_arg_page - the page of the new stack at @pos, for writing: grow the
 * stack down to it first (expand_downwards under the mmap_lock), then
 * get_user_pages_remote(FOLL_FORCE | FOLL_WRITE).
 */
static int get_arg_page(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long pos,
			struct folio **foliop)
{
	int err = 0;

	if (pos < vma->vm_start) {
		mmap_write_lock(mm);
		err = expand_stack_locked(vma, pos);
		mmap_write_unlock(mm);
		if (err)
			return err;
	}
	mmap_read_lock(mm);
	err = get_user_pages_remote(mm, pos, FOLL_FORCE | FOLL_WRITE, foliop);
	mmap_read_unlock(mm);
	return err;
}

/* copy_strings - @argsize bytes of 'a' just below the stack's top, top page first. */
static int copy_strings(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long argsize)
{
	unsigned long top = vma->vm_end, pos = top;

	while (pos > top - argsize) {
		unsigned long page = (pos - 1) & PAGE_MASK;
		unsigned long from = page > top - argsize ? page : top - argsize;
		struct folio *folio;
		int err = get_arg_page(mm, vma, from, &folio);

		if (err)
			return err == -EFAULT ? -E2BIG : err;
		vm_data_fill(folio_address(folio) + (from - page), 'a', pos - from);
		folio_mark_dirty(folio);
		folio_put(folio);
		pos = from;
	}
	return 0;
}

/*
 * setup_arg_pages - under the new mm's mmap_lock: move the stack down to
 * its final place and clear the temporary tag.
 */
static int setup_arg_pages(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long shift)
{
	int err;

	mmap_write_lock(mm);
	err = relocate_vma_down(vma, shift);
	if (!err)	/* WRITE_ONCE: migration's walk reads the tag without mmap_lock */
		__atomic_store_n(&vma->vm_flags, vma->vm_flags & ~VM_STACK_INCOMPLETE_SETUP,
				 __ATOMIC_RELAXED);
	mmap_write_unlock(mm);
	return err;
}

/**
 * do_execve_mm - exec @task with @argsize bytes of arguments.  Returns the
 * lowest address of the argument bytes, or -errno.  *killed is set when
 * the failure came after the point of no return: the task has then
 * exited (freed) and must not be used again.
 * Context: no locks held; takes the new mm's mmap_lock, the old mm's
 * teardown locks.
 */
long do_execve_mm(struct task_struct *task, unsigned long argsize, bool *killed)
{
	struct mm_struct *mm, *old_mm;
	struct vm_area_struct *vma;
	unsigned long top;
	int err;

	*killed = false;
	if (!argsize || argsize > RLIMIT_STACK_MAX / 4)
		return -E2BIG;
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	err = create_init_stack_vma(mm, &vma);
	if (!err)
		err = copy_strings(mm, vma, argsize);
	if (err) {
		mmput(mm);	/* before the point of no return: the old mm is untouched */
		return err;
	}
	top = vma->vm_end;

	/* exec_mmap: the point of no return */
	old_mm = task->mm;
	task->mm = mm;
	mmput(old_mm);

	err = setup_arg_pages(mm, vma, EXEC_STACK_SHIFT);
	if (err) {
		do_exit(task);	/* killed: the mm, half-moved stack and all, goes with it */
		*killed = true;
		return err == -EFAULT ? -EFAULT : -ENOMEM;
	}
	return (long)(top - argsize - EXEC_STACK_SHIFT);
}
