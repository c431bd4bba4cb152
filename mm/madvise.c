/*
 * mm/madvise.c - madvise(2) (model)
 *
 * Models: do_madvise's argument checks and madvise_walk_vmas (holes give
 *         -ENOMEM after the mapped parts were handled); MADV_DONTNEED
 *         (zap, COW copies included), MADV_WILLNEED (file readahead, with
 *         mmap_lock dropped as the kernel does), MADV_COLD and MADV_PAGEOUT
 *         (madvise_cold_or_pageout_pte_range: only folios this process maps
 *         alone, then deactivate or reclaim), MADV_HUGEPAGE/NOHUGEPAGE (VMA
 *         flags, with merge and split), MADV_COLLAPSE (the kernel's checks;
 *         the collapse itself comes with THP), MADV_POPULATE_READ/WRITE.
 * Leaves out: MADV_FREE, guard regions, process_madvise, anon VMA names.
 */
#include "lib/util.h"
#include "mm/internal.h"

static bool can_madv_lru_vma(const struct vm_area_struct *vma)
{
	(void)vma;	/* no VM_LOCKED, VM_PFNMAP or hugetlb VMAs in the model */
	return true;
}

struct cold_walk {
	bool pageout;
	struct list_head folio_list;	/* isolated for reclaim */
};

/* madvise_cold_or_pageout_pte_range, one pte. Context: PTL held. */
static void cold_or_pageout_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *pte,
				void *arg)
{
	struct cold_walk *cw = arg;
	pte_t ptent = ptep_get(pte);
	struct folio *folio;

	if (!pte_present(ptent))
		return;
	folio = vm_normal_folio(vma, addr, ptent);
	/* Do not interfere with other mappings of this folio. */
	if (!folio || !folio_test_lru(folio) || folio_mapcount(folio) != 1)
		return;
	if (pte_young(ptent))
		set_pte_at(vma->vm_mm, addr, pte, pte_mkold(ptent));
	folio_clear_referenced(folio);
	if (!cw->pageout)
		folio_deactivate(folio);
	else if (folio_isolate_lru(folio))
		list_add(&folio->lru, &cw->folio_list);
}

/* MADV_COLD / MADV_PAGEOUT over one VMA's [start, end). */
static void cold_or_pageout_range(struct vm_area_struct *vma, unsigned long start,
				  unsigned long end, bool pageout)
{
	struct cold_walk cw = { .pageout = pageout };

	INIT_LIST_HEAD(&cw.folio_list);
	walk_page_range(vma, start, end, cold_or_pageout_pte, &cw);
	if (pageout)
		reclaim_pages(&cw.folio_list, true);
}

/* MADV_WILLNEED on a file: read the range into the page cache (readahead). */
static int madvise_willneed(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct file *file = vma->vm_file;
	pgoff_t first, last;

	if (!file || file->f_inode->shmem)
		return 0;
	first = linear_page_index(vma, start);
	last = linear_page_index(vma, end - PAGE_SIZE);
	get_file(file);
	mmap_read_unlock(mm);
	filemap_readahead(file, first, last);
	fput(file);
	mmap_read_lock(mm);
	return 0;
}

/*
 * madvise_collapse - MADV_COLLAPSE's checks: the VMA must be anonymous (or
 * shmem), not marked nohugepage, and contain a 2 MiB-aligned 2 MiB range.
 * Each aligned range of [start, end) with no page table fails as
 * SCAN_PMD_NULL (-EINVAL); ranges with ptes would be collapsed - the
 * collapse itself comes with THP, so they count as done.  Success is
 * "every aligned range collapsed", counted as (hend - hstart) >>
 * PMD_SHIFT in unsigned arithmetic: [start, end) with no 2 MiB boundary
 * in [start, end] (hend < hstart) can never succeed and fails as
 * SCAN_FAIL, -EINVAL, while one that holds a boundary but no whole range
 * (hend == hstart) succeeds with nothing to do (found by rmaplab conform
 * on Linux 6.18: tests/conform/regress-collapse-no-aligned-range.scn).
 */
static int madvise_collapse(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	unsigned long hstart = (start + PMD_SIZE - 1) & PMD_MASK, hend = end & PMD_MASK;
	unsigned long vstart = (vma->vm_start + PMD_SIZE - 1) & PMD_MASK;
	bool anon = vma_is_anonymous(vma) || vma->vm_file->f_inode->shmem;
	int nr = 0, done = 0;

	if (!anon || (vma->vm_flags & VM_NOHUGEPAGE) || vstart + PMD_SIZE > vma->vm_end ||
	    vstart < vma->vm_start || hend < hstart)
		return -EINVAL;
	for (unsigned long addr = hstart; addr < hend; addr += PMD_SIZE, nr++)
		if (walk_pte_table(vma->vm_mm, addr))
			done++;
	return done == nr ? 0 : -EINVAL;
}

static int madvise_update_flags(struct vm_area_struct *vma, unsigned long start, unsigned long end,
				unsigned long new_flags)
{
	int err = 0;

	if (new_flags == vma->vm_flags)
		return 0;
	vma = vma_modify_flags(vma, start, end, new_flags, &err);
	if (vma)
		return 0;
	/* madvise() returns EAGAIN when kernel resources are short (madvise_vma_behavior) */
	return err == -ENOMEM ? -EAGAIN : err;
}

static int madvise_vma_behavior(struct vm_area_struct *vma, unsigned long start, unsigned long end,
				int behavior)
{
	switch (behavior) {
	case MADV_DONTNEED:
		zap_page_range_single(vma, start, end - start, NULL);
		return 0;
	case MADV_WILLNEED:
		return madvise_willneed(vma, start, end);
	case MADV_COLD:
	case MADV_PAGEOUT:
		if (!can_madv_lru_vma(vma))
			return -EINVAL;
		cold_or_pageout_range(vma, start, end, behavior == MADV_PAGEOUT);
		return 0;
	case MADV_HUGEPAGE:
		return madvise_update_flags(vma, start, end,
					    (vma->vm_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE);
	case MADV_NOHUGEPAGE:
		return madvise_update_flags(vma, start, end,
					    (vma->vm_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE);
	case MADV_COLLAPSE:
		return madvise_collapse(vma, start, end);
	}
	return -EINVAL;
}

/*
 * madvise_walk_vmas - apply @behavior to every VMA part of [start, end).
 * A hole gives -ENOMEM, after the mapped parts were handled.
 */
static int madvise_walk_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
			     int behavior)
{
	int unmapped_error = 0;

	for (;;) {
		struct vm_area_struct *vma = find_vma(mm, start);
		unsigned long tmp;
		int error;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = MIN(vma->vm_end, end);
		error = madvise_vma_behavior(vma, start, tmp, behavior);
		if (error)
			return error;
		start = tmp;
		if (start >= end)
			break;
	}
	return unmapped_error;
}

/* madvise_populate: -ENOMEM at a hole, -EINVAL for a wrong PROT, -EFAULT past EOF. */
static int madvise_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
			    int behavior, unsigned long *progress)
{
	bool write = behavior == MADV_POPULATE_WRITE;
	unsigned long first = start;
	int locked = 1;
	long pages;

	while (start < end) {
		pages = faultin_page_range(mm, start, end, write, &locked);
		if (!locked) {
			mmap_read_lock(mm);
			locked = 1;
		}
		if (pages < 0) {
			*progress = (start - first) >> PAGE_SHIFT;
			return (int)pages;
		}
		start += (unsigned long)pages << PAGE_SHIFT;
	}
	*progress = (start - first) >> PAGE_SHIFT;
	return 0;
}

static bool madvise_need_mmap_write(int behavior)
{
	return behavior == MADV_HUGEPAGE || behavior == MADV_NOHUGEPAGE;
}

/**
 * sys_madvise - madvise(2).  *progress: pages populated (populate_*).
 * Context: takes mmap_lock, for writing only to change VMA flags.
 */
int sys_madvise(struct mm_struct *mm, unsigned long start, unsigned long len_in, int behavior,
		unsigned long *progress)
{
	unsigned long len, end;
	int error;

	*progress = 0;
	if (!PAGE_ALIGNED(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (madvise_need_mmap_write(behavior)) {
		mmap_write_lock(mm);
		error = madvise_walk_vmas(mm, start, end, behavior);
		mmap_write_unlock(mm);
		return error;
	}
	mmap_read_lock(mm);
	if (behavior == MADV_POPULATE_READ || behavior == MADV_POPULATE_WRITE)
		error = madvise_populate(mm, start, end, behavior, progress);
	else
		error = madvise_walk_vmas(mm, start, end, behavior);
	mmap_read_unlock(mm);
	return error;
}
