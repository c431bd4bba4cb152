/*
 * mm/gup.c - faulting pages in on behalf of the kernel (model)
 *
 * Models: __get_user_pages (follow the pte, else faultin_page and retry),
 *         check_vma_flags, __get_user_pages_locked (the retry after a
 *         fault dropped mmap_lock), populate_vma_page_range and
 *         __mm_populate (MAP_POPULATE: a write fault for private writable
 *         mappings, to break COW, a read fault otherwise; errors ignored),
 *         faultin_page_range (MADV_POPULATE_READ/WRITE: errors returned).
 * Leaves out: pins and the pages array (they come with get_user_pages
 *         pins), GUP-fast, FOLL_FORCE writes, hugetlb, the unshare fault.
 */
#include "lib/util.h"
#include "mm/internal.h"

#define FOLL_TOUCH	0x02u
#define FOLL_UNLOCKABLE	0x100000u
#define FOLL_TRIED	0x800u

/*
 * follow_page_pte: is the page there with the access the caller needs?
 * With @foliop (a pages array of one), its folio with a reference too.
 */
static bool follow_page_pte(struct vm_area_struct *vma, unsigned long address, unsigned int flags,
			    struct folio **foliop)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, address, &ptl);
	bool found = false;
	pte_t pte;

	if (!ptep)
		return false;
	pte = ptep_get(ptep);
	if (pte_present(pte) && !pte_protnone(pte) && (!(flags & FOLL_WRITE) || pte_write(pte))) {
		found = true;
		if (flags & FOLL_TOUCH) {
			pte = pte_mkyoung(pte);
			if (flags & FOLL_WRITE)
				pte = pte_mkdirty(pte);
			set_pte_at(mm, address, ptep, pte);
		}
		if (foliop) {
			*foliop = vm_normal_folio(vma, address, pte);
			if (*foliop)
				folio_get(*foliop);
			else
				found = false;	/* the zero page: a write fault replaces it */
		}
	}
	pte_unmap_unlock(ptep, ptl);
	return found;
}

static int check_vma_flags(struct vm_area_struct *vma, unsigned int gup_flags)
{
	bool write = gup_flags & FOLL_WRITE;
	unsigned long vm_flags = vma->vm_flags;

	if (write) {
		if (!(vm_flags & VM_WRITE)) {
			if (!(gup_flags & FOLL_FORCE))
				return -EFAULT;
			if (!is_cow_mapping(vm_flags))
				return -EFAULT;
		}
	} else if (!(vm_flags & VM_READ)) {
		if (!(gup_flags & FOLL_FORCE))
			return -EFAULT;
		if (!(vm_flags & VM_MAYREAD))
			return -EFAULT;
	}
	return 0;
}

/* faultin_page: 0 to retry the lookup, -EBUSY when mmap_lock was dropped. */
static int faultin_page(struct vm_area_struct *vma, unsigned long address, unsigned int flags,
			int *locked)
{
	unsigned int fault_flags = 0;
	vm_fault_t ret;

	if (flags & FOLL_WRITE)
		fault_flags |= FAULT_FLAG_WRITE;
	if (flags & FOLL_UNLOCKABLE)
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
	if (flags & FOLL_TRIED)
		fault_flags |= FAULT_FLAG_TRIED;
	ret = handle_mm_fault(vma, address, fault_flags);
	if (ret & VM_FAULT_ERROR)
		return (ret & VM_FAULT_OOM) ? -ENOMEM : -EFAULT;
	if (ret & VM_FAULT_RETRY) {
		*locked = 0;
		return -EBUSY;
	}
	return 0;
}

/*
 * __get_user_pages - fault in [start, start + nr_pages) page by page.
 * Returns the pages done, or -errno if none was; *locked = 0 when a fault
 * dropped mmap_lock.
 * Context: mmap_lock held for reading.
 */
static long __get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, int *locked)
{
	struct vm_area_struct *vma = NULL;
	long i = 0, ret = 0;

	while (nr_pages) {
		if (!vma || start >= vma->vm_end) {
			vma = vma_lookup(mm, start);
			if (gup_flags & FOLL_MADV_POPULATE) {
				if (!vma) {
					ret = -ENOMEM;
					break;
				}
				if (check_vma_flags(vma, gup_flags)) {
					ret = -EINVAL;
					break;
				}
			} else {
				if (!vma) {
					ret = -EFAULT;
					break;
				}
				ret = check_vma_flags(vma, gup_flags);
				if (ret)
					break;
			}
		}
		cond_resched();
		if (!follow_page_pte(vma, start, gup_flags, NULL)) {
			ret = faultin_page(vma, start, gup_flags, locked);
			if (!ret)
				continue;
			if (ret == -EBUSY)
				ret = 0;
			break;
		}
		i++;
		start += PAGE_SIZE;
		nr_pages--;
	}
	return i ? i : ret;
}

/*
 * __get_user_pages_locked - like __get_user_pages, retaking mmap_lock and
 * retrying with FAULT_FLAG_TRIED when a fault dropped it.  Returns with
 * mmap_lock held iff *locked.
 */
static long __get_user_pages_locked(struct mm_struct *mm, unsigned long start,
				    unsigned long nr_pages, int *locked, unsigned int flags)
{
	long ret, pages_done = 0;

	for (;;) {
		ret = __get_user_pages(mm, start, nr_pages, flags, locked);
		if (ret > 0) {
			nr_pages -= (unsigned long)ret;
			pages_done += ret;
			start += (unsigned long)ret << PAGE_SHIFT;
			if (!nr_pages)
				break;
		}
		if (*locked) {
			if (!pages_done)
				pages_done = ret;
			break;
		}
		/* the fault dropped mmap_lock: retry this page with FOLL_TRIED */
		mmap_read_lock(mm);
		*locked = 1;
		flags |= FOLL_TRIED;
	}
	return pages_done;
}

/**
 * populate_vma_page_range - fault in [start, end) of @vma for MAP_POPULATE.
 * Returns the pages done or -errno.
 * Context: mmap_lock held for reading; *locked = 0 if it was dropped.
 */
long populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			     int *locked)
{
	unsigned int gup_flags = FOLL_TOUCH | FOLL_UNLOCKABLE;

	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		gup_flags |= FOLL_WRITE;
	if (vma_is_accessible(vma))
		gup_flags |= FOLL_FORCE;
	return __get_user_pages(vma->vm_mm, start, (end - start) >> PAGE_SHIFT, gup_flags, locked);
}

/**
 * mm_populate - MAP_POPULATE: fault in [start, start + len), ignoring
 * errors (the mapping stays).  Returns the pages populated from start on
 * before the first page that could not be.
 * Context: takes mmap_lock for reading.
 */
unsigned long mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len, nstart, nend, progress = 0;
	struct vm_area_struct *vma = NULL;
	bool contiguous = true;
	int locked = 0;
	long ret;

	for (nstart = start; nstart < end; nstart = nend) {
		if (!locked) {
			locked = 1;
			mmap_read_lock(mm);
			vma = find_vma_intersection(mm, nstart, end);
		} else if (nstart >= vma->vm_end) {
			vma = find_vma_intersection(mm, vma->vm_end, end);
		}
		if (!vma)
			break;
		nend = MIN(end, vma->vm_end);
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		ret = populate_vma_page_range(vma, nstart, nend, &locked);
		if (ret < 0) {
			contiguous = false;	/* errors ignored: continue at the next VMA */
			continue;
		}
		if (contiguous)
			progress += (unsigned long)ret;
		if (nstart + ((unsigned long)ret << PAGE_SHIFT) < nend && locked)
			contiguous = false;	/* stopped early with the lock held: an error */
		nend = nstart + ((unsigned long)ret << PAGE_SHIFT);
	}
	if (locked)
		mmap_read_unlock(mm);
	return progress;
}

/**
 * faultin_page_range - MADV_POPULATE_READ/WRITE over [start, end).
 * Returns the pages done, or -errno when none was.
 * Context: mmap_lock held for reading; *locked = 0 if it was dropped.
 */
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end, bool write,
			int *locked)
{
	unsigned int gup_flags = FOLL_TOUCH | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE;

	if (write)
		gup_flags |= FOLL_WRITE;
	return __get_user_pages_locked(mm, start, (end - start) >> PAGE_SHIFT, locked, gup_flags);
}

/**
 * get_user_pages_remote - the folio mapping @addr in @mm, faulted in for
 * @gup_flags (FOLL_WRITE, FOLL_FORCE), with a reference: the kernel's
 * access to another mm's memory, as exec's get_arg_page writes the
 * arguments into the new mm's stack.  Returns 0, or -EFAULT / -ENOMEM.
 * Context: mmap_lock of @mm held for reading (kept: no FOLL_UNLOCKABLE).
 */
int get_user_pages_remote(struct mm_struct *mm, unsigned long addr, unsigned int gup_flags,
			  struct folio **foliop)
{
	int locked = 1;

	VM_BUG_ON(!(gup_flags & FOLL_WRITE));	/* exec's only use; a read would need the zero page */
	for (;;) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		int ret;

		if (!vma)
			return -EFAULT;
		ret = check_vma_flags(vma, gup_flags);
		if (ret)
			return ret;
		if (follow_page_pte(vma, addr, gup_flags, foliop))
			return 0;
		ret = faultin_page(vma, addr, gup_flags, &locked);
		if (ret)
			return ret;
	}
}
