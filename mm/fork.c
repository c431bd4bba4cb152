/*
 * mm/fork.c - processes and their address spaces (model; the mm parts of
 * kernel/fork.c and kernel/exit.c)
 *
 * Models: mm_alloc (an empty mm with its pgd), copy_process / dup_mm
 *         (fork: dup_mmap, in mm/mmap.c), do_exit / mmput (exit_mmap,
 *         then the pgd and the mm are freed).
 * Processes are single-threaded tasks; scenario threads acting on one
 * process share its mm, as threads of a process do.
 * Leaves out: the rest of the task (signals, files, credentials), mm_count
 *         lazy references, OOM reaping.
 */
#include <stdio.h>

#include "mm/internal.h"

/* mm_alloc - an empty address space (mm_init). NULL on ENOMEM. */
struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = vm_alloc(VM_ALLOC_MM, sizeof(*mm));

	if (!mm)
		return NULL;
	mm->pgd = pgtable_alloc(mm, 4);
	if (!mm->pgd) {
		vm_free(VM_ALLOC_MM, mm);
		return NULL;
	}
	mm->mm_rb = RB_ROOT;
	ex_lock_init(&mm->mmap_lock, &ex_class_mmap_lock);
	ex_lock_init(&mm->page_table_lock, &ex_class_ptl);
	mm->mmap_base = MMAP_BASE;
	mm->task_size = TASK_SIZE;
	mm->mm_users = 1;
	mm->mm_id = __atomic_add_fetch(&machine->next_mm_id, 1, __ATOMIC_RELAXED);
	vm_host_lock(VM_MMLIST_LOCK);
	list_add_tail(&mm->mm_list, &machine->mm_list);
	vm_host_unlock(VM_MMLIST_LOCK);
	return mm;
}

/* mmput - the last user of @mm is gone: unmap everything and free it. */
void mmput(struct mm_struct *mm)
{
	VM_BUG_ON_MM(__atomic_load_n(&mm->mm_users, __ATOMIC_RELAXED) <= 0, mm);
	if (__atomic_sub_fetch(&mm->mm_users, 1, __ATOMIC_ACQ_REL))	/* atomic_dec_and_test */
		return;
	exit_mmap(mm);
	pgtable_free(mm, mm->pgd);
	VM_BUG_ON_MM(mm->nr_pgtables, mm);
	vm_host_lock(VM_MMLIST_LOCK);
	list_del(&mm->mm_list);
	vm_host_unlock(VM_MMLIST_LOCK);
	vm_free(VM_ALLOC_MM, mm);
}

static struct task_struct *task_alloc(struct mm_struct *mm)
{
	static int next_pid = 1;
	struct task_struct *task = vm_alloc(VM_ALLOC_TASK, sizeof(*task));

	if (!task)
		return NULL;
	task->mm = mm;
	task->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
	snprintf(task->comm, sizeof(task->comm), "mm#%lu", mm->mm_id);
	return task;
}

/* proc P: a process with an empty address space. */
struct task_struct *task_create(void)
{
	struct mm_struct *mm = mm_alloc();
	struct task_struct *task;

	if (!mm)
		return NULL;
	task = task_alloc(mm);
	if (!task)
		mmput(mm);
	return task;
}

/**
 * copy_process - fork: a child whose mm is a copy of @parent's (dup_mm).
 * Returns 0 and the child in *childp, or -ENOMEM with nothing left over
 * (a half-copied mm is torn down).
 */
int copy_process(struct task_struct *parent, struct task_struct **childp)
{
	struct mm_struct *mm = mm_alloc();
	struct task_struct *child;

	if (!mm)
		return -ENOMEM;
	if (dup_mmap(mm, parent->mm)) {
		mmput(mm);
		return -ENOMEM;
	}
	child = task_alloc(mm);
	if (!child) {
		mmput(mm);
		return -ENOMEM;
	}
	*childp = child;
	return 0;
}

/* exit: the address space goes with the task. */
void do_exit(struct task_struct *task)
{
	mmput(task->mm);
	vm_free(VM_ALLOC_TASK, task);
}
