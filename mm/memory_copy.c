/*
 * mm/memory_copy.c - fork's copy of page tables (model; part of the
 * kernel's mm/memory.c)
 *
 * Models: copy_page_range, copy_pte_range (the destination PTL, then the
 *         source PTL nested), copy_present_pte with
 *         folio_try_dup_anon_rmap_pte and the fallback copy_present_page
 *         for a possibly pinned exclusive page (allocated outside the
 *         locks, then the range retried), __copy_present_ptes (COW
 *         mappings are write-protected in both processes; shared ones are
 *         marked clean in the child), copy_nonpresent_pte for migration
 *         entries (a writable or exclusive one becomes readable in both).
 * Copies only VMAs with an anon_vma: the others refault from the file.
 * See lock ordering in mm/rmap.c.
 * Leaves out: swap entries (no swap yet), THP PMDs, the mid-table lock
 *         break (need_resched), uffd-wp.
 */
#include <string.h>

#include "mm/internal.h"

static bool vma_needs_copy(const struct vm_area_struct *src_vma)
{
	return src_vma->anon_vma != NULL;
}

/* copy_present_page - a private copy for the child of a maybe-pinned page. */
static int copy_present_page(struct vm_area_struct *dst_vma, pte_t *dst_pte, unsigned long addr,
			     struct folio *src, long *rss, struct folio **prealloc)
{
	struct folio *new_folio = *prealloc;
	pte_t pte;

	if (!new_folio)
		return -EAGAIN;
	*prealloc = NULL;
	vm_data_copy(folio_address(new_folio), folio_address(src), PAGE_SIZE);
	folio_set_uptodate(new_folio);
	folio_add_new_anon_rmap(new_folio, dst_vma, addr, RMAP_EXCLUSIVE);
	folio_add_lru_vma(new_folio, dst_vma);
	rss[MM_ANONPAGES]++;
	pte = pte_mkdirty(pfn_pte(folio_pfn(new_folio), _PAGE_ACCESSED));
	if (dst_vma->vm_flags & VM_WRITE)
		pte = pte_mkwrite(pte);
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
	return 0;
}

static int copy_present_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			    pte_t *dst_pte, pte_t *src_pte, pte_t pte, unsigned long addr,
			    long *rss, struct folio **prealloc)
{
	struct folio *folio = vm_normal_folio(src_vma, addr, pte);

	if (folio) {
		folio_get(folio);
		if (folio_test_anon(folio)) {
			if (folio_try_dup_anon_rmap_pte(folio, src_vma)) {
				folio_put(folio);
				return copy_present_page(dst_vma, dst_pte, addr, folio, rss, prealloc);
			}
			rss[MM_ANONPAGES]++;
		} else {
			folio_dup_file_rmap_pte(folio);
			rss[mm_counter_file(folio)]++;
		}
	}
	if (is_cow_mapping(src_vma->vm_flags) && pte_write(pte)) {
		ptep_set_wrprotect(src_vma->vm_mm, addr, src_pte);
		pte = pte_wrprotect(pte);
	}
	if (src_vma->vm_flags & VM_SHARED)
		pte = pte_mkclean(pte);
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte_mkold(pte));
	return 0;
}

static void copy_nonpresent_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
				pte_t *dst_pte, pte_t *src_pte, unsigned long addr, long *rss)
{
	pte_t pte = ptep_get(src_pte);
	softleaf_t entry = softleaf_from_pte(pte);

	if (softleaf_is_migration(entry)) {
		/* The folio is locked by its migration: ->mapping is stable. */
		rss[mm_counter(pfn_folio(softleaf_to_pfn(entry)))]++;
		if (swp_type(entry) != SWP_MIGRATION_READ && is_cow_mapping(src_vma->vm_flags)) {
			/*
			 * Both processes now share the page: it is restored
			 * read-only and not exclusive in both (young and dirty kept).
			 */
			pte = pte_swp_remake_migration(pte,
					make_readable_migration_entry(softleaf_to_pfn(entry)));
			set_pte_at(src_vma->vm_mm, addr, src_pte, pte);
		}
		set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
		return;
	}
	VM_BUG_ON_VMA(true, src_vma);	/* swap entries come with swap */
}

/*
 * copy_pte_range - copy the ptes of [addr, end), inside one PTE table.
 * Context: both mmap_locks held for writing; takes the destination PTL,
 * then the source PTL nested; may yield between tables.
 */
static int copy_pte_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			  unsigned long addr, unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	struct folio *prealloc = NULL;
	spinlock_t *src_ptl, *dst_ptl;
	int ret = 0;

again:
	{
		long rss[NR_MM_COUNTERS] = { 0 };
		pte_t *dst_pte = pte_alloc_map_lock(dst_mm, addr, &dst_ptl);
		pte_t *src_pte;

		if (!dst_pte) {
			ret = -ENOMEM;
			goto out;
		}
		src_pte = pte_offset_map(src_mm, addr);
		if (!src_pte) {
			pte_unmap_unlock(dst_pte, dst_ptl);
			goto out;
		}
		src_ptl = pte_lockptr(src_mm, addr);
		spin_lock_nested(src_ptl, SINGLE_DEPTH_NESTING);
		for (; addr != end; addr += PAGE_SIZE, src_pte++, dst_pte++) {
			pte_t ptent = ptep_get(src_pte);

			if (pte_none(ptent))
				continue;
			if (!pte_present(ptent)) {
				copy_nonpresent_pte(dst_vma, src_vma, dst_pte, src_pte, addr, rss);
				continue;
			}
			ret = copy_present_pte(dst_vma, src_vma, dst_pte, src_pte, ptent, addr, rss,
					       &prealloc);
			if (ret == -EAGAIN)
				break;
			if (prealloc) {
				folio_put(prealloc);
				prealloc = NULL;
			}
		}
		spin_unlock(src_ptl);
		for (int i = 0; i < NR_MM_COUNTERS; i++)
			add_mm_counter(dst_mm, i, rss[i]);
		pte_unmap_unlock(dst_pte, dst_ptl);
	}
	cond_resched();
	if (ret == -EAGAIN) {
		/* allocate the copy outside the locks, then retry from this pte */
		prealloc = vma_alloc_folio(0, 0, src_vma, addr);
		if (!prealloc)
			return -ENOMEM;
		ret = 0;
	}
	if (addr != end)
		goto again;
out:
	if (prealloc)
		folio_put(prealloc);
	return ret;
}

/**
 * copy_page_range - copy @src_vma's page tables into the child's @dst_vma.
 * For a COW mapping the copy runs inside write_protect_seq, which GUP-fast
 * samples so that no pin can slip in while the ptes are write-protected.
 * Returns 0 or -ENOMEM.
 * Context: both mmap_locks held for writing; may yield.
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *src_mm = src_vma->vm_mm;
	bool is_cow = is_cow_mapping(src_vma->vm_flags);
	unsigned long addr = src_vma->vm_start, end = src_vma->vm_end;
	int ret = 0;

	if (!vma_needs_copy(src_vma))
		return 0;
	mmap_assert_write_locked(src_mm);
	if (is_cow)
		raw_write_seqcount_begin(&src_mm->write_protect_seq);
	while (addr < end) {
		unsigned long next = pmd_addr_end(addr, end);

		if (walk_pte_table(src_mm, addr)) {
			if (pmd_alloc(dst_vma->vm_mm, addr)) {
				ret = -ENOMEM;
				break;
			}
			ret = copy_pte_range(dst_vma, src_vma, addr, next);
			if (ret)
				break;
		}
		addr = next;
	}
	if (is_cow)
		raw_write_seqcount_end(&src_mm->write_protect_seq);
	return ret;
}
