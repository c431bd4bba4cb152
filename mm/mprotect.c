/*
 * mm/mprotect.c - changing the protection of a range (model)
 *
 * Models: do_mprotect_pkey (sys_mprotect), mprotect_fixup (merge or split
 *         through vma_modify_flags), change_protection / change_pte_range
 *         (pte_modify to the new vm_page_prot, PROT_NONE ptes become
 *         inaccessible, writable migration entries become readable
 *         whatever the new protection (as change_softleaf_pte does), and
 *         the upgrade to writable of exclusive anon pages and dirty shared
 *         pages that can_change_pte_writable allows).
 * Leaves out: pkeys, PROT_GROWSDOWN/GROWSUP, VM_ACCOUNT charging, NUMA
 *         hinting, soft-dirty and uffd-wp tracking.
 */
#include "lib/util.h"
#include "mm/internal.h"

static bool vma_wants_manual_pte_write_upgrade(const struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_SHARED)
		return vma_wants_writenotify(vma);
	return vma->vm_flags & VM_WRITE;
}

static bool can_change_pte_writable(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	struct folio *folio;

	if (!(vma->vm_flags & VM_WRITE) || pte_protnone(pte))
		return false;
	if (!(vma->vm_flags & VM_SHARED)) {
		folio = vm_normal_folio(vma, addr, pte);
		return folio && folio_test_anon(folio) && PageAnonExclusive(folio);
	}
	return pte_dirty(pte);
}

struct prot_walk {
	bool try_writable;
	bool accessible;
};

/* change_pte_range, one pte: the new protection. Context: PTL held. */
static void change_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *pte, void *arg)
{
	const struct prot_walk *pw = arg;
	pte_t old = ptep_get(pte), new;

	if (!pte_present(old)) {
		softleaf_t entry = softleaf_from_pte(old);
		unsigned long pfn = softleaf_to_pfn(entry);

		/*
		 * change_softleaf_pte: "a protection check is difficult so just
		 * be safe and disable write" - whatever the new protection, a
		 * writable entry becomes readable (exclusive for anon: the page
		 * stays this mm's alone, and a write fault reuses it).  The
		 * folio is locked by its migration: ->mapping is stable.
		 */
		if (softleaf_is_migration_write(entry)) {
			entry = folio_test_anon(pfn_folio(pfn)) ?
				make_readable_exclusive_migration_entry(pfn) :
				make_readable_migration_entry(pfn);
			set_pte_at(vma->vm_mm, addr, pte, pte_swp_remake_migration(old, entry));
		}
		return;
	}
	new = pte_modify(old, vma->vm_page_prot, pw->accessible);
	if (pw->try_writable && !pte_write(new) && can_change_pte_writable(vma, addr, new))
		new = pte_mkwrite(new);
	set_pte_at(vma->vm_mm, addr, pte, new);
}

/*
 * change_protection - rewrite the ptes of [start, end) for @vma's new flags.
 * Context: mmap_lock held for writing; takes each table's PTL.
 */
static void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct prot_walk pw = {
		.try_writable = vma_wants_manual_pte_write_upgrade(vma),
		.accessible = vma_is_accessible(vma),
	};

	walk_page_range(vma, start, end, change_pte, &pw);
}

/**
 * mprotect_fixup - give [start, end) of @vma the flags @newflags.
 * Returns 0 or -ENOMEM; *pprev is the VMA now covering the range.
 * Context: mmap_lock held for writing.
 */
int mprotect_fixup(struct vm_area_struct *vma, struct vm_area_struct **pprev, unsigned long start,
		   unsigned long end, unsigned long newflags)
{
	int err = 0;

	if (newflags == vma->vm_flags) {
		*pprev = vma;
		return 0;
	}
	vma = vma_modify_flags(vma, start, end, newflags, &err);
	if (!vma)
		return err;
	*pprev = vma;
	/* WRITE_ONCE: rmap walkers (remove_migration_pte) read it without mmap_lock */
	__atomic_store_n(&vma->vm_flags, newflags, __ATOMIC_RELAXED);
	vma_set_page_prot(vma);
	change_protection(vma, start, end);
	return 0;
}

/**
 * sys_mprotect - mprotect(2): the mappings from @start are changed in
 * turn; a hole before the end stops with -ENOMEM, keeping the changes
 * already made (as the kernel does).
 * Context: takes mmap_lock for writing.
 */
int sys_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot)
{
	unsigned long end, tmp, nstart;
	struct vm_area_struct *vma, *prev;
	int error = -ENOMEM;

	if (offset_in_page(start))
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	mmap_write_lock(mm);
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end || vma->vm_start > start)
		goto out;
	nstart = start;
	tmp = vma->vm_start;
	for (; vma && vma->vm_start < end; vma = prev->vm_next) {
		unsigned long newflags = vma->vm_flags & ~VM_ACCESS_FLAGS;

		if (vma->vm_start != tmp) {
			error = -ENOMEM;
			break;
		}
		if (prot & PROT_READ)
			newflags |= VM_READ;
		if (prot & PROT_WRITE)
			newflags |= VM_WRITE;
		if (prot & PROT_EXEC)
			newflags |= VM_EXEC;
		tmp = MIN(vma->vm_end, end);
		error = mprotect_fixup(vma, &prev, nstart, tmp, newflags);
		if (error)
			break;
		tmp = prev->vm_end;
		nstart = tmp;
	}
	if (!error && tmp < end)
		error = -ENOMEM;
out:
	mmap_write_unlock(mm);
	return error;
}
