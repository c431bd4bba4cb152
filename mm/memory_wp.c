/*
 * mm/memory_wp.c - write faults on present read-only ptes (model; part
 * of the kernel's mm/memory.c)
 *
 * Models: do_wp_page, wp_can_reuse_anon_folio, wp_page_reuse,
 *         wp_page_copy, wp_page_shared, finish_mkwrite_fault (Linux 7.0).
 * An anon page that is PageAnonExclusive is reused with no lock and no
 * count check.  Anything else in a private mapping - a page-cache page,
 * the zero page, a shared anon page - is copied by wp_page_copy, which
 * takes no lock on the source page: it copies with the PTL dropped, then
 * rechecks the pte under the PTL and gives up if it changed.  That
 * lock-free COW is what truncate's second unmap_mapping_range exists for
 * (seed 000).
 * Leaves out: KSM, userfaultfd write-protect, large anon folios, the
 * unshare fault (comes with GUP pins).
 */
#include <string.h>

#include "mm/internal.h"

/*
 * wp_page_reuse - make the pte writable in place (no copy).
 * Context: PTL held; released here.
 */
static void wp_page_reuse(struct vm_fault *vmf, struct folio *folio)
{
	struct vm_area_struct *vma = vmf->vma;
	pte_t entry;

	VM_BUG_ON(!(vmf->flags & FAULT_FLAG_WRITE));
	VM_BUG_ON_FOLIO(folio && folio_test_anon(folio) && !PageAnonExclusive(folio), folio);
	entry = pte_mkdirty(pte_mkyoung(vmf->orig_pte));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(entry);
	set_pte_at(vma->vm_mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
}

/*
 * wp_can_reuse_anon_folio - a non-exclusive small anon folio may still be
 * reused when ours is the only reference (checked under a trylock of the
 * folio lock); it is then re-filed under this VMA's anon_vma.  A failed
 * trylock means a copy, which is harmless here: the page is not
 * exclusive, so it cannot carry a FOLL_PIN pin (seed 002).
 * Context: PTL held; trylocks the folio.
 */
static bool wp_can_reuse_anon_folio(struct folio *folio, struct vm_area_struct *vma)
{
	if (folio_ref_count(folio) > 3)
		return false;
	if (folio_ref_count(folio) > 1 + (int)folio_test_swapcache(folio))
		return false;
	if (!folio_trylock(folio))
		return false;
	if (folio_ref_count(folio) != 1) {
		folio_unlock(folio);
		return false;
	}
	folio_move_anon_rmap(folio, vma);
	folio_unlock(folio);
	return true;
}

/**
 * wp_page_copy - COW: copy the page (or zero-fill for the zero page) into
 * a new exclusive anon folio and switch the pte to it, if the pte is still
 * the one the fault saw.  The old folio loses its mapcount only after the
 * pte points at the new one, so no one can see the count drop and reuse
 * the old page while this pte still maps it.
 * Context: mmap_lock held for reading; the PTL was dropped by the caller;
 * takes the PTL again; may yield.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, struct folio *old_folio)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *new_folio;
	vm_fault_t ret;
	bool copied = false;

	ret = vmf_anon_prepare(vmf);
	if (ret)
		goto out;
	/* no old folio: the zero page, so the copy starts zeroed */
	new_folio = vma_alloc_folio(old_folio ? 0 : __GFP_ZERO, 0, vma, vmf->address);
	if (!new_folio) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	/* the PTL was dropped: the pte may change before it is taken again */
	sched_point("wp_page_copy: PTL dropped, copying");
	if (old_folio)	/* no lock on the source page: it may be changing */
		vm_data_copy(folio_address(new_folio), folio_address(old_folio), PAGE_SIZE);
	folio_set_uptodate(new_folio);

	vmf->pte = pte_offset_map_lock(mm, vmf->address, &vmf->ptl);
	if (vmf->pte && pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		pte_t entry = pfn_pte(folio_pfn(new_folio), _PAGE_ACCESSED);

		if (old_folio) {
			if (!folio_test_anon(old_folio)) {
				add_mm_counter(mm, mm_counter_file(old_folio), -1);
				add_mm_counter(mm, MM_ANONPAGES, 1);
			}
		} else {
			add_mm_counter(mm, MM_ANONPAGES, 1);
		}
		entry = pte_mkdirty(entry);
		if (vma->vm_flags & VM_WRITE)
			entry = pte_mkwrite(entry);
		ptep_get_and_clear(mm, vmf->address, vmf->pte);
		folio_add_new_anon_rmap(new_folio, vma, vmf->address, RMAP_EXCLUSIVE);
		folio_add_lru_vma(new_folio, vma);
		set_pte_at(mm, vmf->address, vmf->pte, entry);
		if (old_folio)
			folio_remove_rmap_pte(old_folio, vma);
		copied = true;
	}
	if (vmf->pte)
		pte_unmap_unlock(vmf->pte, vmf->ptl);
	if (!copied)
		folio_put(new_folio);
	else if (old_folio)
		folio_put(old_folio);	/* the reference the old pte held */
	ret = 0;
out:
	if (old_folio)
		folio_put(old_folio);	/* the reference do_wp_page took */
	return ret;
}

/*
 * finish_mkwrite_fault - after page_mkwrite: make the pte writable if it
 * is still the one the fault saw.  Context: folio locked; takes the PTL.
 */
static vm_fault_t finish_mkwrite_fault(struct vm_fault *vmf, struct folio *folio)
{
	vmf->pte = pte_offset_map_lock(vmf->vma->vm_mm, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return VM_FAULT_NOPAGE;
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return VM_FAULT_NOPAGE;
	}
	wp_page_reuse(vmf, folio);
	return 0;
}

/*
 * wp_page_shared - write to a read-only pte of a shared mapping: the file
 * is told (page_mkwrite) and the pte made writable; no copy.
 * Context: PTL held on entry; released.
 */
static vm_fault_t wp_page_shared(struct vm_fault *vmf, struct folio *folio)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t tmp;

	folio_get(folio);
	if (vma->vm_file && !vma->vm_file->f_inode->shmem) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		vmf->folio = folio;
		tmp = do_page_mkwrite(vmf, folio);
		if (!tmp || (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE))) {
			folio_put(folio);
			return tmp;
		}
		tmp = finish_mkwrite_fault(vmf, folio);
		if (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) {
			folio_unlock(folio);
			folio_put(folio);
			return tmp;
		}
	} else {
		wp_page_reuse(vmf, folio);
		folio_lock(folio);
	}
	vmf->folio = folio;
	fault_dirty_shared_page(vmf);
	folio_put(folio);
	return 0;
}

/**
 * do_wp_page - a write to a present, read-only pte.
 * Context: mmap_lock held for reading; the PTL held on entry and released
 * before return; may yield.
 */
vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio = vm_normal_folio(vma, vmf->address, vmf->orig_pte);

	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		VM_BUG_ON_VMA(!folio, vma);
		return wp_page_shared(vmf, folio);
	}
	if (folio && folio_test_anon(folio) &&
	    (PageAnonExclusive(folio) || wp_can_reuse_anon_folio(folio, vma))) {
		if (!PageAnonExclusive(folio))
			SetPageAnonExclusive(folio);
		wp_page_reuse(vmf, folio);
		return 0;
	}
	if (folio)
		folio_get(folio);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return wp_page_copy(vmf, folio);
}
