/*
 * mm/memory_zap.c - removing ptes (model; part of the kernel's mm/memory.c)
 *
 * Models: zap_pte_range (via unmap_page_range), zap_page_range_single,
 *         unmap_mapping_range, unmap_mapping_pages, unmap_mapping_folio,
 *         with struct zap_details: even_cows (truncation also zaps the
 *         private COW copies in private file mappings; invalidation keeps
 *         them) and single_folio.
 * See lock ordering in mm/rmap.c.
 * Leaves out: TLB batching (pages are released as their ptes go),
 *         uffd-wp markers, device entries, THP PMDs.
 */
#include "mm/internal.h"

/* should_zap_cows: with no details, or with even_cows. */
static bool should_zap_cows(const struct zap_details *details)
{
	return !details || details->even_cows;
}

/* should_zap_folio: anon folios (COW copies) only when zapping cows. */
static bool should_zap_folio(const struct zap_details *details, const struct folio *folio)
{
	if (details && details->single_folio && details->single_folio != folio)
		return false;
	if (should_zap_cows(details))
		return true;
	return !folio || !folio_test_anon(folio);
}

static void zap_present_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *pte,
			    const struct zap_details *details)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio = vm_normal_folio(vma, addr, ptep_get(pte));
	pte_t ptent;

	if (!should_zap_folio(details, folio))
		return;
	ptent = ptep_get_and_clear(mm, addr, pte);
	if (!folio)
		return;		/* the zero page: no counts */
	if (!folio_test_anon(folio)) {
		if (pte_dirty(ptent))
			folio_mark_dirty(folio);
		if (pte_young(ptent) && !(vma->vm_flags & VM_SEQ_READ))
			folio_mark_accessed(folio);
	}
	add_mm_counter(mm, mm_counter(folio), -1);
	folio_remove_rmap_pte(folio, vma);
	folio_put(folio);
}

static void zap_nonpresent_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *pte,
			       const struct zap_details *details)
{
	softleaf_t entry = softleaf_from_pte(ptep_get(pte));

	if (softleaf_is_migration(entry)) {
		struct folio *folio = pfn_folio(softleaf_to_pfn(entry));

		if (!should_zap_folio(details, folio))
			return;
		/* A migration entry holds neither a mapcount nor a reference. */
		add_mm_counter(vma->vm_mm, mm_counter(folio), -1);
		ptep_get_and_clear(vma->vm_mm, addr, pte);
		return;
	}
	VM_BUG_ON_VMA(true, vma);	/* swap entries come with swap */
}

/* zap_pte_range, one pte. Context: PTL held. */
static void zap_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *pte, void *arg)
{
	const struct zap_details *details = arg;

	if (pte_present(ptep_get(pte)))
		zap_present_pte(vma, addr, pte, details);
	else
		zap_nonpresent_pte(vma, addr, pte, details);
}

/**
 * unmap_page_range - zap [addr, end) of @vma, one PTE table at a time.
 * Context: mmap_lock held, or the VMA held in place by an rmap lock; may yield.
 */
void unmap_page_range(struct vm_area_struct *vma, unsigned long addr, unsigned long end,
		      const struct zap_details *details)
{
	walk_page_range(vma, addr, end, zap_pte, (void *)details);
}

void zap_page_range_single(struct vm_area_struct *vma, unsigned long addr, unsigned long size,
			   const struct zap_details *details)
{
	unsigned long end = addr + size;

	if (addr < vma->vm_start)
		addr = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	if (addr < end)
		unmap_page_range(vma, addr, end, details);
}

static void unmap_mapping_range_vma(struct vm_area_struct *vma, pgoff_t first, pgoff_t last,
				    const struct zap_details *details)
{
	pgoff_t vba = vma->vm_pgoff;
	pgoff_t vea = vba + vma_pages(vma) - 1;
	pgoff_t zba = first > vba ? first : vba;
	pgoff_t zea = last < vea ? last : vea;
	struct ex_trace_ctx prev = trace_vma_enter(vma->vm_start);

	zap_page_range_single(vma, ((zba - vba) << PAGE_SHIFT) + vma->vm_start,
			      (zea - zba + 1) << PAGE_SHIFT, details);
	trace_vma_exit(prev);
}

/*
 * Zap the part of every i_mmap VMA that maps file pages [first, last], in
 * the i_mmap walk order (equal starts newest first under file_walk's
 * newest_first: seed 000, where that order lets a pte that mremap or fork
 * moves slip behind truncate's walk).
 */
static void unmap_mapping_range_tree(struct rb_root_cached *root, pgoff_t first, pgoff_t last,
				     const struct zap_details *details)
{
	struct vm_area_struct *vma;
	struct vma_walk_list wl = { 0 };

	if (!i_mmap_walk_newest_first()) {
		vma_interval_tree_foreach(vma, root, first, last)
			unmap_mapping_range_vma(vma, first, last, details);
		return;
	}
	vma_interval_tree_foreach(vma, root, first, last)
		vma_walk_list_add(&wl, vma);
	vma_walk_list_reverse_equal_starts(&wl);
	for (int i = 0; i < wl.nr; i++)
		unmap_mapping_range_vma(wl.vmas[i], first, last, details);
	vma_walk_list_free(&wl);
}

/**
 * unmap_mapping_pages - zap the ptes of file pages [start, start + nr) in
 * every VMA of @mapping (nr 0: to the end of the file).
 * Context: takes i_mmap_rwsem for reading; may yield.
 */
void unmap_mapping_pages(struct address_space *mapping, pgoff_t start, pgoff_t nr, bool even_cows)
{
	struct zap_details details = { .even_cows = even_cows };
	pgoff_t first = start, last = start + nr - 1;

	if (last < first)
		last = ~0UL;
	i_mmap_lock_read(mapping);
	if (!RB_EMPTY_ROOT(&mapping->i_mmap.rb_root))
		unmap_mapping_range_tree(&mapping->i_mmap, first, last, &details);
	i_mmap_unlock_read(mapping);
}

/**
 * unmap_mapping_range - unmap [holebegin, holebegin + holelen) of the file
 * (holelen 0: to the end) from every process; with @even_cows also the
 * private COW copies of those pages.
 */
void unmap_mapping_range(struct address_space *mapping, loff_t holebegin, loff_t holelen,
			 int even_cows)
{
	pgoff_t hba = (pgoff_t)holebegin >> PAGE_SHIFT;
	pgoff_t hlen = ((pgoff_t)holelen + PAGE_SIZE - 1) >> PAGE_SHIFT;

	unmap_mapping_pages(mapping, hba, hlen, even_cows);
}

/**
 * unmap_mapping_folio - zap the ptes that map this page-cache folio (not
 * its COW copies), as truncation does for a folio still mapped.
 * Context: folio locked; takes i_mmap_rwsem for reading.
 */
void unmap_mapping_folio(struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	struct zap_details details = { .single_folio = folio, .even_cows = false };
	pgoff_t first = folio->index, last = first + (pgoff_t)folio_nr_pages(folio) - 1;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	i_mmap_lock_read(mapping);
	if (!RB_EMPTY_ROOT(&mapping->i_mmap.rb_root))
		unmap_mapping_range_tree(&mapping->i_mmap, first, last, &details);
	i_mmap_unlock_read(mapping);
}
