/*
 * mm/uaccess.c - the CPU: user loads and stores through the page tables
 * (model; the kernel's arch/x86/mm/fault.c do_user_addr_fault)
 *
 * Models: a hardware page-table walk with no locks (present, accessible,
 *         writable for a store; the accessed and dirty bits set as the CPU
 *         sets them), and on a miss do_user_addr_fault: lock_mm_and_find_vma
 *         (a growsdown VMA is expanded under mmap_lock taken for writing,
 *         then downgraded), access_error, handle_mm_fault, and the retry
 *         when the fault dropped mmap_lock.
 * The copy within one page is atomic with respect to other threads (there
 * is no schedule point between the walk and the copy); between pages
 * other threads may run.
 * Leaves out: the per-VMA lock, TLBs, signals other than SIGSEGV/SIGBUS.
 */
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

#define MAX_FAULT_RETRIES 64

void user_buf_copy(unsigned char *dst, const struct user_buf *src, unsigned long off,
		   unsigned long n)
{
	if (src->bytes)
		vm_data_copy(dst, src->bytes + off, n);
	else
		vm_data_fill(dst, src->fill, n);
}

/* lock_mm_and_find_vma: mmap_lock for reading and the VMA, or NULL unlocked. */
static struct vm_area_struct *lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr)
		return vma;
	if (!vma || !(vma->vm_flags & VM_GROWSDOWN)) {
		mmap_read_unlock(mm);
		return NULL;
	}
	/* Expanding the stack needs mmap_lock for writing: drop and retake. */
	mmap_read_unlock(mm);
	mmap_write_lock(mm);
	vma = find_vma(mm, addr);
	if (!vma)
		goto fail;
	if (vma->vm_start <= addr)
		goto success;
	if (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack_locked(vma, addr))
		goto fail;
success:
	mmap_write_downgrade(mm);
	return vma;
fail:
	mmap_write_unlock(mm);
	return NULL;
}

static bool access_error(bool write, const struct vm_area_struct *vma)
{
	if (write)
		return !(vma->vm_flags & VM_WRITE);
	return !vma_is_accessible(vma) || !(vma->vm_flags & VM_READ);
}

/**
 * do_user_addr_fault - a user access at @addr missed the page tables.
 * Returns 0 (try the access again) or VM_FAULT_SIGSEGV / SIGBUS / OOM.
 * Context: no locks held; takes mmap_lock; may yield.
 */
vm_fault_t do_user_addr_fault(struct mm_struct *mm, unsigned long addr, bool write)
{
	unsigned int flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER;
	struct vm_area_struct *vma;
	vm_fault_t fault;

	if (write)
		flags |= FAULT_FLAG_WRITE;
retry:
	vma = lock_mm_and_find_vma(mm, addr);
	if (!vma)
		return VM_FAULT_SIGSEGV;
	if (access_error(write, vma)) {
		mmap_read_unlock(mm);
		return VM_FAULT_SIGSEGV;
	}
	fault = handle_mm_fault(vma, addr, flags);
	if (fault & VM_FAULT_RETRY) {
		flags |= FAULT_FLAG_TRIED;	/* mmap_lock was released */
		goto retry;
	}
	mmap_read_unlock(mm);
	return fault & VM_FAULT_ERROR;
}

/*
 * The CPU's access to one page is atomic with respect to other threads:
 * in the explorer because there is no schedule point between the walk and
 * the copy; with real threads (`rmaplab stress`) the walk and the copy
 * happen inside vm_cpu_access_begin/end (page tables are not freed
 * meanwhile) with the PTE table's lock held (the pte is not changed nor
 * its page freed meanwhile), which is what the kernel's TLB shootdown
 * gives a CPU in the middle of an instruction.
 */
struct cpu_access {
	pte_t *ptep;
	spinlock_t *ptl;		/* real threads only */
};

static pte_t *cpu_walk(struct cpu_access *acc, struct mm_struct *mm, unsigned long addr)
{
	acc->ptl = NULL;
	if (!vm_real_threads)
		return acc->ptep = pte_offset_map(mm, addr);
	vm_cpu_access_begin();
	acc->ptep = pte_offset_map_lock(mm, addr, &acc->ptl);
	if (!acc->ptep)
		vm_cpu_access_end();
	return acc->ptep;
}

static void cpu_done(struct cpu_access *acc)
{
	if (!vm_real_threads || !acc->ptep)
		return;
	pte_unmap_unlock(acc->ptep, acc->ptl);
	vm_cpu_access_end();
	acc->ptep = NULL;
}

/*
 * user_page - the CPU's view of the page at @addr for a load or a store:
 * walk the page tables, fault while the walk fails, and return the page's
 * data with the pte marked young (and dirty for a store).  The caller
 * copies right away, then calls cpu_done(@acc).
 */
static unsigned char *user_page(struct mm_struct *mm, unsigned long addr, bool write,
				enum uaccess_fault *fault, struct cpu_access *acc)
{
	for (int tries = 0; tries < MAX_FAULT_RETRIES; tries++) {
		pte_t *ptep = addr < TASK_SIZE ? cpu_walk(acc, mm, addr) : NULL;
		pte_t pte = ptep ? ptep_get(ptep) : (pte_t){ 0 };
		vm_fault_t ret;

		if (addr >= TASK_SIZE) {
			*fault = UA_SIGSEGV;
			return NULL;
		}
		if (ptep && pte_present(pte) && !pte_protnone(pte) && (!write || pte_write(pte))) {
			/* the hardware's atomic update of the accessed and dirty bits */
			vm_atomic_fetch_or(&ptep->pte, write ? _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY :
					  _PAGE_ACCESSED, __ATOMIC_RELAXED);
			return folio_address(pfn_folio(pte_pfn(pte))) + offset_in_page(addr);
		}
		if (ptep)
			cpu_done(acc);
		ret = do_user_addr_fault(mm, addr, write);
		*fault = (ret & VM_FAULT_SIGSEGV) ? UA_SIGSEGV : (ret & VM_FAULT_SIGBUS) ? UA_SIGBUS :
			 (ret & VM_FAULT_OOM) ? UA_ENOMEM : UA_OK;
		if (*fault)
			return NULL;
	}
	ex_fatal(EX_BUG, dump_mm(mm), NULL,
		 "the access at %#lx of mm#%lu still misses after %d successful faults",
		 addr, mm->mm_id, MAX_FAULT_RETRIES);
}

enum uaccess_fault uaccess_write(struct mm_struct *mm, unsigned long addr,
				 const struct user_buf *buf, unsigned long *done)
{
	unsigned long off = 0;

	*done = 0;
	while (off < buf->len) {
		unsigned long n = MIN(PAGE_SIZE - offset_in_page(addr + off), buf->len - off);
		enum uaccess_fault r;
		struct cpu_access acc;
		unsigned char *page = user_page(mm, addr + off, true, &r, &acc);

		if (!page)
			return r;
		user_buf_copy(page, buf, off, n);
		cpu_done(&acc);
		off += n;
		(*done)++;
	}
	return UA_OK;
}

enum uaccess_fault uaccess_read(struct mm_struct *mm, unsigned long addr, unsigned char *out,
				unsigned long len, unsigned long *done)
{
	unsigned long off = 0;

	*done = 0;
	while (off < len) {
		unsigned long n = MIN(PAGE_SIZE - offset_in_page(addr + off), len - off);
		enum uaccess_fault r;
		struct cpu_access acc;
		const unsigned char *page = user_page(mm, addr + off, false, &r, &acc);

		if (!page)
			return r;
		vm_data_copy(out + off, page, n);
		cpu_done(&acc);
		off += n;
		(*done)++;
	}
	return UA_OK;
}
