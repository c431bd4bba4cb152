/*
 * mm/page_vma_mapped.c - does this VMA map this folio here? (model)
 *
 * Models: page_vma_mapped_walk and page_vma_mapped_walk_done for order-0
 *         folios: the pte at pvmw->address is checked for the folio's pfn
 *         (or, with PVMW_MIGRATION, a migration entry for it) and returned
 *         with its PTE lock held.  Without PVMW_SYNC the entry is first
 *         peeked at without the lock and a none (or non-matching kind)
 *         entry ends the walk at once, as map_pte does; the peek and the
 *         lock are separate steps, which is where a concurrent mover can
 *         slip a pte in behind the walker.
 * Leaves out: PMD-mapped THPs, walks across page-table boundaries, device
 *         entries.
 */
#include "mm/internal.h"

static bool check_pte(const struct page_vma_mapped_walk *pvmw, pte_t ptent)
{
	if (pvmw->flags & PVMW_MIGRATION) {
		softleaf_t entry;

		if (!is_swap_pte(ptent))
			return false;
		entry = softleaf_from_pte(ptent);
		return softleaf_is_migration(entry) && softleaf_to_pfn(entry) == pvmw->pfn;
	}
	return pte_present(ptent) && pte_pfn(ptent) == pvmw->pfn;
}

/**
 * page_vma_mapped_walk - find the mapping of pvmw->pfn in pvmw->vma at
 * pvmw->address.  Returns true with pvmw->pte mapped and pvmw->ptl held;
 * the next call releases them and returns false.
 * Context: folio locked and the rmap lock held by the walker; takes the
 * PTE lock; may yield.
 */
bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	struct mm_struct *mm = vma->vm_mm;
	pte_t *pte;

	if (pvmw->pte) {
		page_vma_mapped_walk_done(pvmw);
		return false;
	}
	if (pvmw->address < vma->vm_start || pvmw->address >= vma->vm_end)
		return false;
	if (pvmw->flags & PVMW_SYNC) {
		pte = pte_offset_map_lock(mm, pvmw->address, &pvmw->ptl);
		if (!pte)
			return false;
	} else {
		pte_t ptent;

		pte = pte_offset_map(mm, pvmw->address);
		if (!pte)
			return false;
		ptent = ptep_get(pte);
		if (pvmw->flags & PVMW_MIGRATION) {
			if (!is_swap_pte(ptent))
				return false;
		} else if (!pte_present(ptent)) {
			return false;
		}
		pvmw->ptl = pte_lockptr(mm, pvmw->address);
		spin_lock(pvmw->ptl);
	}
	if (!check_pte(pvmw, ptep_get(pte))) {
		spin_unlock(pvmw->ptl);
		pvmw->ptl = NULL;
		return false;
	}
	pvmw->pte = pte;
	return true;
}

void page_vma_mapped_walk_done(struct page_vma_mapped_walk *pvmw)
{
	if (pvmw->ptl)
		spin_unlock(pvmw->ptl);
	pvmw->pte = NULL;
	pvmw->ptl = NULL;
}
