/*
 * mm/memory.c - page faults (model)
 *
 * Models: handle_mm_fault, handle_pte_fault, do_anonymous_page (the shared
 *         zero page for reads), do_fault with do_read_fault (fault-around
 *         first), do_cow_fault (the file folio stays locked until its
 *         private copy is mapped), do_shared_fault (page_mkwrite, then
 *         fault_dirty_shared_page), __do_fault, finish_fault,
 *         set_pte_range, do_fault_around, migration_entry_wait, and the
 *         rss counters.  do_wp_page is in mm/memory_wp.c, the zap in
 *         mm/memory_zap.c, fork's copy in mm/memory_copy.c.
 * Faults run under mmap_lock for reading (Linux 7.0 first tries the
 * per-VMA lock; the model always takes mmap_lock, see docs/locking.md).
 * Leaves out: THP faults, swap-in (no swap yet: a swap entry here is a
 *         bug), NUMA hinting, userfaultfd, per-VMA locks, hwpoison.
 */
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

#define FAULT_AROUND_PAGES 16	/* fault_around_bytes = 64 KiB */

int mm_counter_file(const struct folio *folio)
{
	return folio_test_swapbacked(folio) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

int mm_counter(const struct folio *folio)
{
	return folio_test_anon(folio) ? MM_ANONPAGES : mm_counter_file(folio);
}

/* percpu_counter_add in the kernel: updated under different PTLs at once */
void add_mm_counter(struct mm_struct *mm, int member, long value)
{
	vm_atomic_fetch_add_long(&mm->rss_stat[member], value, __ATOMIC_RELAXED);
}

vm_fault_t vmf_anon_prepare(struct vm_fault *vmf)
{
	if (vma_anon_vma_once(vmf->vma))
		return 0;
	return anon_vma_prepare(vmf->vma) ? VM_FAULT_OOM : 0;
}

/* vmf_pte_changed: under the PTL, is the pte still what the fault saw? */
static bool vmf_pte_changed(const struct vm_fault *vmf)
{
	return !pte_same(ptep_get(vmf->pte), vmf->orig_pte);
}

/**
 * do_anonymous_page - first touch of a private anonymous page: a read maps
 * the shared zero page read-only; a write maps a new zeroed exclusive page.
 * Context: mmap_lock held for reading; takes the PTL; may yield.
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	vm_fault_t ret = 0;
	pte_t entry;

	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;
	if (pte_alloc(mm, vmf->address))
		return VM_FAULT_OOM;
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		entry = pte_mkspecial(pfn_pte(folio_pfn(machine->zero_folio), _PAGE_ACCESSED));
		vmf->pte = pte_offset_map_lock(mm, vmf->address, &vmf->ptl);
		if (!vmf_pte_changed(vmf))
			set_pte_at(mm, vmf->address, vmf->pte, entry);
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return 0;
	}
	ret = vmf_anon_prepare(vmf);
	if (ret)
		return ret;
	folio = vma_alloc_folio(__GFP_ZERO, 0, vma, vmf->address);
	if (!folio)
		return VM_FAULT_OOM;
	folio_set_uptodate(folio);
	entry = pfn_pte(folio_pfn(folio), _PAGE_ACCESSED);
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(pte_mkdirty(entry));
	vmf->pte = pte_offset_map_lock(mm, vmf->address, &vmf->ptl);
	if (vmf_pte_changed(vmf)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		folio_put(folio);
		return 0;
	}
	add_mm_counter(mm, MM_ANONPAGES, 1);
	folio_add_new_anon_rmap(folio, vma, vmf->address, RMAP_EXCLUSIVE);
	folio_add_lru_vma(folio, vma);
	set_pte_at(mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/*
 * set_pte_range - install the pte for a fault: a new private copy (COW of
 * a file page) gets a new anon rmap, otherwise the file folio gains one.
 * Context: PTL held.
 */
static void set_pte_range(struct vm_fault *vmf, struct folio *folio, unsigned long addr)
{
	struct vm_area_struct *vma = vmf->vma;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	pte_t entry = pfn_pte(folio_pfn(folio), vma->vm_page_prot | _PAGE_ACCESSED);

	if (write) {
		entry = pte_mkdirty(entry);
		if (vma->vm_flags & VM_WRITE)
			entry = pte_mkwrite(entry);
	} else if (pte_write(entry) && folio_test_dirty(folio)) {
		entry = pte_mkdirty(entry);
	}
	if (write && !(vma->vm_flags & VM_SHARED)) {
		folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
		folio_add_lru_vma(folio, vma);
	} else {
		folio_add_file_rmap_pte(folio, vma);
	}
	set_pte_at(vma->vm_mm, addr, vmf->pte, entry);
}

/**
 * finish_fault - map the folio __do_fault returned (or, for a private
 * write, its copy in vmf->cow_folio), if the pte is still what it was.
 * The folio's fault reference becomes the mapping's reference.
 * Context: the source folio locked; takes the PTL.
 */
vm_fault_t finish_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	bool is_cow = (vmf->flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED);
	struct folio *folio = is_cow ? vmf->cow_folio : vmf->folio;

	if (pte_alloc(vma->vm_mm, vmf->address))
		return VM_FAULT_OOM;
	vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->address, &vmf->ptl);
	if (vmf_pte_changed(vmf)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return VM_FAULT_NOPAGE;
	}
	set_pte_range(vmf, folio, vmf->address);
	add_mm_counter(vma->vm_mm, is_cow ? MM_ANONPAGES : mm_counter_file(folio), 1);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/* ->fault: shmem or a regular file */
static vm_fault_t vma_fault(struct vm_fault *vmf)
{
	if (vmf->vma->vm_file->f_inode->shmem)
		return shmem_fault(vmf);
	return filemap_fault(vmf);
}

/*
 * __do_fault - ask the file for the folio at vmf->pgoff; returns it in
 * vmf->folio, locked and referenced, or an error (SIGBUS past EOF).
 */
static vm_fault_t __do_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = vma_fault(vmf);

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	if (!(ret & VM_FAULT_LOCKED))
		folio_lock(vmf->folio);
	else
		VM_BUG_ON_FOLIO(!folio_test_locked(vmf->folio), vmf->folio);
	return ret;
}

/*
 * do_fault_around - map the page-cache folios already uptodate around the
 * fault (16 pages, within the VMA and the PTE table) read-only.
 */
static vm_fault_t do_fault_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pgoff_t pte_off = pt_index(vmf->address, 1);
	pgoff_t vma_off = vmf->pgoff - vma->vm_pgoff;
	pgoff_t from_pte, to_pte, lo;

	lo = pte_off - MIN(pte_off, vma_off);
	from_pte = MAX(pte_off & ~(pgoff_t)(FAULT_AROUND_PAGES - 1), lo);
	to_pte = MIN(MIN(from_pte + FAULT_AROUND_PAGES, (pgoff_t)PTRS_PER_TABLE),
		     pte_off + vma_pages(vma) - vma_off) - 1;
	return filemap_map_pages(vmf, vmf->pgoff + from_pte - pte_off, vmf->pgoff + to_pte - pte_off);
}

static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = do_fault_around(vmf);
	struct folio *folio;

	if (ret)
		return ret;
	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	ret |= finish_fault(vmf);
	folio = vmf->folio;
	folio_unlock(folio);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		folio_put(folio);
	return ret;
}

/*
 * do_cow_fault - write to a private file mapping with no pte: copy the
 * file folio into a new anon folio and map the copy.  The file folio
 * stays locked until the copy is mapped, so truncation (which takes that
 * lock) either sees the copy mapped or makes the fault fail.
 */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	vm_fault_t ret;

	ret = vmf_anon_prepare(vmf);
	if (ret)
		return ret;
	folio = vma_alloc_folio(0, 0, vma, vmf->address);
	if (!folio)
		return VM_FAULT_OOM;
	vmf->cow_folio = folio;
	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		goto uncharge_out;
	vm_data_copy(folio_address(folio), folio_address(vmf->folio), PAGE_SIZE);
	folio_set_uptodate(folio);
	ret |= finish_fault(vmf);
	folio_unlock(vmf->folio);
	folio_put(vmf->folio);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		goto uncharge_out;
	return ret;
uncharge_out:
	folio_put(folio);
	return ret;
}

/* fault_dirty_shared_page: the folio is written through a shared pte. */
vm_fault_t fault_dirty_shared_page(struct vm_fault *vmf)
{
	struct folio *folio = vmf->folio;

	folio_mark_dirty(folio);
	VM_BUG_ON_FOLIO(folio_test_anon(folio), folio);
	folio_unlock(folio);
	return 0;
}

/*
 * do_page_mkwrite - tell the file the folio is about to become writable.
 * Returns with the folio locked (VM_FAULT_LOCKED), or 0 to retry the fault
 * when truncation took the folio away meanwhile.
 */
vm_fault_t do_page_mkwrite(struct vm_fault *vmf, struct folio *folio)
{
	vm_fault_t ret = filemap_page_mkwrite(vmf);

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE))
		return ret;
	if (!(ret & VM_FAULT_LOCKED)) {
		folio_lock(folio);
		if (!folio->mapping) {
			folio_unlock(folio);
			return 0;
		}
		ret |= VM_FAULT_LOCKED;
	}
	return ret;
}

static bool vma_has_page_mkwrite(const struct vm_area_struct *vma)
{
	return vma->vm_file && !vma->vm_file->f_inode->shmem;
}

static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct folio *folio;
	vm_fault_t ret, tmp;

	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	folio = vmf->folio;
	if (vma_has_page_mkwrite(vmf->vma)) {
		folio_unlock(folio);
		tmp = do_page_mkwrite(vmf, folio);
		if (!tmp || (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE))) {
			folio_put(folio);
			return tmp;
		}
	}
	ret |= finish_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) {
		folio_unlock(folio);
		folio_put(folio);
		return ret;
	}
	return ret | fault_dirty_shared_page(vmf);
}

static vm_fault_t do_fault(struct vm_fault *vmf)
{
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(vmf);
	if (!(vmf->vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/**
 * migration_entry_wait - a fault met a migration entry: under the PTL,
 * recheck that the pte still holds it, drop the PTL and wait until the
 * migration unlocks the folio (without taking the lock), then retry the
 * fault.  The entry is removed before that unlock, so the retry finds a
 * pte (or another migration's entry).
 * No folio reference is taken, as in 7.0 (migration_entry_wait_on_locked):
 * the migration holds one until its entries are gone, and taking one here
 * would fail the migration's refcount check for as long as we wait (why
 * 4.20 dropped it before sleeping, put_and_wait_on_page_locked).  The
 * model's wait is a separate step from the PTL release, so the folio may
 * be freed and reused in between: the frame stays valid memory, and the
 * wait then at worst sleeps until an unrelated unlock.
 * An entry whose folio is not under migration (PG_migrating: locked by
 * the migration that installed it) is stale: nothing will remove it and
 * the fault would retry forever - reported at once.
 * Context: mmap_lock held for reading; takes the PTL; may sleep.
 */
static void migration_entry_wait(struct mm_struct *mm, unsigned long address)
{
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, address, &ptl);
	struct folio *folio;
	softleaf_t entry;
	pte_t pte;

	if (!ptep)
		return;
	pte = ptep_get(ptep);
	if (!is_swap_pte(pte) || !softleaf_is_migration(softleaf_from_pte(pte))) {
		pte_unmap_unlock(ptep, ptl);
		return;
	}
	entry = softleaf_from_pte(pte);
	folio = pfn_folio(softleaf_to_pfn(entry));
	if (!folio_test_migrating(folio))
		ex_fatal(EX_STALE_MIGRATION, dump_folio(folio), NULL,
			 "a fault at %#lx of mm#%lu meets a migration entry for pfn %#lx, whose folio is not under migration: nothing will remove it",
			 address, mm->mm_id, softleaf_to_pfn(entry));
	pte_unmap_unlock(ptep, ptl);
	folio_wait_locked(folio);
}

static vm_fault_t do_swap_page(struct vm_fault *vmf)
{
	softleaf_t entry = softleaf_from_pte(vmf->orig_pte);

	if (softleaf_is_migration(entry)) {
		migration_entry_wait(vmf->vma->vm_mm, vmf->address);
		return 0;
	}
	VM_BUG_ON_VMA(true, vmf->vma);	/* swap entries need swap, which is not modelled yet */
	return VM_FAULT_SIGBUS;
}

static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	pte_t entry;

	vmf->pte = pte_offset_map(mm, vmf->address);
	vmf->orig_pte = vmf->pte ? ptep_get(vmf->pte) : (pte_t){ 0 };
	if (pte_none(vmf->orig_pte))
		return vma_is_anonymous(vmf->vma) ? do_anonymous_page(vmf) : do_fault(vmf);
	if (!pte_present(vmf->orig_pte))
		return do_swap_page(vmf);

	vmf->pte = pte_offset_map_lock(mm, vmf->address, &vmf->ptl);
	entry = vmf->orig_pte;
	if (!pte_same(ptep_get(vmf->pte), entry))
		goto unlock;
	if (vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
		if (!pte_write(entry))
			return do_wp_page(vmf);	/* drops the PTL */
		if (vmf->flags & FAULT_FLAG_WRITE)
			entry = pte_mkdirty(entry);
	}
	set_pte_at(mm, vmf->address, vmf->pte, pte_mkyoung(entry));
unlock:
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/**
 * handle_mm_fault - resolve a fault at @address in @vma.
 * Returns 0 (retry the access), or VM_FAULT_* bits: OOM, SIGBUS, SIGSEGV,
 * RETRY (mmap_lock was dropped: the caller must look the VMA up again).
 * Context: mmap_lock held for reading; may yield; with VM_FAULT_RETRY the
 * lock has been released.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct vm_fault vmf = {
		.vma = vma,
		.address = address & PAGE_MASK,
		.flags = flags,
		.pgoff = linear_page_index(vma, address & PAGE_MASK),
	};

	mmap_assert_locked(vma->vm_mm);
	if (pmd_alloc(vma->vm_mm, vmf.address))
		return VM_FAULT_OOM;
	return handle_pte_fault(&vmf);
}
