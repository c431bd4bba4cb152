/*
 * mm/mremap_tables.c - move_page_tables, the page-table half of mremap
 * (model; the kernel keeps it in mm/mremap.c, split here on mechanism)
 *
 * Models: move_page_tables with try_realign_addr, move_normal_pud /
 *         move_normal_pmd (a whole table moves, always under the rmap
 *         locks) and move_ptes (both PTLs, the new one nested; the rmap
 *         locks when walk order does not protect the move).  Its callers
 *         are mremap's move_vma (mm/mremap.c) and exec's relocate_vma_down
 *         (mm/vma_exec.c).
 * See lock ordering in mm/rmap.c.
 * Leaves out: hugetlb, THP PMD/PUD leaves (the model has none), uffd,
 *         soft-dirty of swap entries, TLB flushes (the model has no TLB).
 *
 * The race the rmap locks close (seeds 000, 001):
 *
 *  rmap walk (migrate, truncate)    mremap (move_ptes)
 *  visit dst vma: empty
 *                                   move pte src -> dst
 *  visit src vma: empty             <- the pte (or migration entry) is missed
 *
 * A new destination VMA is inserted after the source in every rmap tree
 * (pgoff >= the source's, equal keys oldest first), so a walk that missed
 * the pte at the source meets it at the destination; copy_vma says when
 * that order is not guaranteed (need_rmap_locks), and then move_ptes
 * holds i_mmap_rwsem and the anon_vma lock for writing.
 */
#include "lib/util.h"
#include "mm/internal.h"

/* ------------------------------------------------------------------ */
/* page-table slots */

/*
 * table_at - the page-table page at @level (1 = PTE table, 2 = PMD table,
 * 3 = PUD table) that serves @addr, or NULL if a level above is missing.
 * No locks: the tables of @mm change only under its mmap_lock, which the
 * caller holds for writing.
 */
static struct ptdesc *table_at(struct mm_struct *mm, unsigned long addr, int level)
{
	struct ptdesc *t = mm->pgd;

	while (t && t->level > level) {
		unsigned long e = __atomic_load_n(&t->entries[pt_index(addr, t->level)],
						  __ATOMIC_ACQUIRE);

		if (!e || (t->level == 2 && pmd_leaf((pmd_t){ e })))
			return NULL;
		t = entry_table(e);
	}
	return t;
}

static unsigned long *table_slot(struct ptdesc *t, unsigned long addr)
{
	return &t->entries[pt_index(addr, t->level)];
}

static unsigned long slot_get(const unsigned long *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* A lockless hardware walk may read the slot at any time: publish with release. */
static void slot_set(unsigned long *slot, unsigned long v)
{
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

/*
 * get_old_entry: the entry for @addr in the table at @level (3: PUD, 2:
 * PMD) if a lower table hangs there, else NULL (get_old_pud, get_old_pmd).
 */
static unsigned long *get_old_entry(struct mm_struct *mm, unsigned long addr, int level)
{
	struct ptdesc *t = table_at(mm, addr, level);
	unsigned long *entry;

	if (!t)
		return NULL;
	entry = table_slot(t, addr);
	return slot_get(entry) ? entry : NULL;
}

static unsigned long *get_old_pud(struct mm_struct *mm, unsigned long addr)
{
	return get_old_entry(mm, addr, 3);
}

static unsigned long *get_old_pmd(struct mm_struct *mm, unsigned long addr)
{
	return get_old_entry(mm, addr, 2);
}

/* alloc_new_pud: the PUD entry for @addr, its table allocated if missing; NULL on -ENOMEM. */
static unsigned long *alloc_new_pud(struct mm_struct *mm, unsigned long addr)
{
	if (pud_alloc(mm, addr))
		return NULL;
	return table_slot(table_at(mm, addr, 3), addr);
}

/* alloc_new_pmd: the PMD entry for @addr, the tables above allocated if missing. */
static unsigned long *alloc_new_pmd(struct mm_struct *mm, unsigned long addr)
{
	if (!alloc_new_pud(mm, addr) || pmd_alloc(mm, addr))
		return NULL;
	return table_slot(table_at(mm, addr, 2), addr);
}

/* ------------------------------------------------------------------ */
/* the rmap locks */

/*
 * take_rmap_locks - exclude rmap walkers of @vma's pages: i_mmap_rwsem,
 * then the anon_vma root lock, both for writing (the order of mm/rmap.c).
 * Context: mmap_lock held for writing; no PTL held; may yield.
 */
static void take_rmap_locks(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		i_mmap_lock_write(vma->vm_file->f_mapping);
	if (vma->anon_vma)
		anon_vma_lock_write(vma->anon_vma);
}

static void drop_rmap_locks(struct vm_area_struct *vma)
{
	if (vma->anon_vma)
		anon_vma_unlock_write(vma->anon_vma);
	if (vma->vm_file)
		i_mmap_unlock_write(vma->vm_file->f_mapping);
}

/* ------------------------------------------------------------------ */
/* move_ptes: one PTE table's worth */

/* move_soft_dirty_pte: userspace's soft-dirty tracking sees the page moved. */
static pte_t move_soft_dirty_pte(pte_t pte)
{
	/*
	 * Present ptes only: the model's swap and migration entries use the
	 * soft-dirty bit as their marker, and have no swp soft-dirty bit.
	 */
	if (pte_present(pte))
		pte.pte |= _PAGE_SOFT_DIRTY;
	return pte;
}

/*
 * move_ptes - move the ptes of [old_addr, old_addr + extent), all inside
 * one old and one new PTE table.  Swap and migration entries move like
 * present ptes: nothing about the folio changes (mapcount, refcount,
 * anon index), only the address and the VMA.  Empty old tables stay.
 * Returns 0, or -EAGAIN when the old table is gone (the caller retries).
 * Context: mmap_lock held for writing; takes the rmap locks when needed,
 * then the old PTL and the new PTL nested (SINGLE_DEPTH_NESTING: their
 * order does not matter, the exclusive mmap_lock keeps two movers apart);
 * may yield at each lock.
 */
static int move_ptes(struct pagetable_move_control *pmc, unsigned long extent)
{
	struct vm_area_struct *vma = pmc->old;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old_addr = pmc->old_addr, new_addr = pmc->new_addr;
	unsigned long old_end = old_addr + extent;
	spinlock_t *old_ptl, *new_ptl;
	pte_t *old_pte, *new_pte;
	bool need_rmap_locks;
	int err = 0;

	/*
	 * Seeds 000 (Andrea Arcangeli and Hugh Dickins, 2011: truncate vs
	 * mremap, "drop the i_mmap_mutex completely from mremap") and 001
	 * (2014: rmap walks in the wrong order lose a moved pte): take the
	 * rmap locks only when copy_vma could not promise the walk order
	 * (when_needed, Linux since 3.7), on every move, or never.
	 */
	switch (vm_variant(VAR_MREMAP_RMAP_LOCKS)) {
	case RMAP_LOCKS_ALWAYS:
		need_rmap_locks = true;
		break;
	case RMAP_LOCKS_NEVER:
		need_rmap_locks = false;
		break;
	default:
		need_rmap_locks = pmc->need_rmap_locks;
		break;
	}
	if (need_rmap_locks)
		take_rmap_locks(vma);

	old_pte = pte_offset_map_lock(mm, old_addr, &old_ptl);
	if (!old_pte) {
		err = -EAGAIN;
		goto out;
	}
	new_pte = pte_offset_map(mm, new_addr);
	new_ptl = pte_lockptr(mm, new_addr);
	if (!new_pte) {
		pte_unmap_unlock(old_pte, old_ptl);
		err = -EAGAIN;
		goto out;
	}
	if (new_ptl != old_ptl)
		spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING);

	for (; old_addr < old_end; old_pte++, old_addr += PAGE_SIZE, new_pte++,
	     new_addr += PAGE_SIZE) {
		pte_t pte;

		VM_WARN_ON_ONCE(!pte_none(ptep_get(new_pte)));
		if (pte_none(ptep_get(old_pte)))
			continue;
		pte = ptep_get_and_clear(mm, old_addr, old_pte);
		set_pte_at(mm, new_addr, new_pte, move_soft_dirty_pte(pte));
	}

	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	pte_unmap_unlock(old_pte, old_ptl);
out:
	if (need_rmap_locks)
		drop_rmap_locks(vma);
	return err;
}

/* ------------------------------------------------------------------ */
/* whole tables */

enum pgt_entry {
	NORMAL_PMD,		/* a PMD entry: the PTE table under it moves */
	NORMAL_PUD,		/* a PUD entry: the PMD table under it moves */
};

/*
 * move_normal_entry - move the table under the @old entry (a PUD or PMD
 * entry) to the empty @new entry: every pte under it moves at once, which
 * no per-pte reasoning about walk order covers (hence the rmap locks the
 * caller takes).  false when the destination entry is not empty (a table
 * free_pgd_range left for a neighbour): move_ptes does it then.
 * Context: mmap_lock held for writing, the rmap locks for writing; takes
 * page_table_lock (the model's PMD and PUD lock, one per mm: old and new
 * are the same lock, taken once).
 */
static bool move_normal_entry(struct pagetable_move_control *pmc, unsigned long *old,
			      unsigned long *new)
{
	struct mm_struct *mm = pmc->old->vm_mm;
	unsigned long entry;
	bool moved = false;

	if (slot_get(new))
		return false;
	spin_lock(&mm->page_table_lock);
	entry = slot_get(old);
	/* Racing a collapse in the kernel; no PMD leaves here, but keep the recheck. */
	if (entry && !pmd_leaf((pmd_t){ entry })) {
		slot_set(old, 0);
		VM_BUG_ON_MM(slot_get(new), mm);
		slot_set(new, entry);
		moved = true;
	}
	spin_unlock(&mm->page_table_lock);
	return moved;
}

/*
 * should_take_rmap_locks: whole-table moves always take them (Linux 5.14,
 * "mm/mremap: hold the rmap lock in write mode when moving page table
 * entries"); the variant mremap_rmap_locks is about move_ptes only.
 */
static bool should_take_rmap_locks(struct pagetable_move_control *pmc, enum pgt_entry entry)
{
	(void)pmc;
	(void)entry;
	return true;
}

/* move_pgt_entry - move_normal_pmd / move_normal_pud under the rmap locks. */
static bool move_pgt_entry(struct pagetable_move_control *pmc, enum pgt_entry entry,
			   unsigned long *old, unsigned long *new)
{
	bool need_rmap_locks = should_take_rmap_locks(pmc, entry);
	bool moved;

	if (need_rmap_locks)
		take_rmap_locks(pmc->old);
	moved = move_normal_entry(pmc, old, new);
	if (need_rmap_locks)
		drop_rmap_locks(pmc->old);
	return moved;
}

/*
 * get_extent - how far the next step goes: to the next @entry boundary
 * of the source or of the destination, whichever is nearer, and not past
 * the end.
 */
static unsigned long get_extent(enum pgt_entry entry, const struct pagetable_move_control *pmc)
{
	unsigned long size = entry == NORMAL_PUD ? PUD_SIZE : PMD_SIZE;
	unsigned long mask = ~(size - 1);
	unsigned long next, extent;

	next = (pmc->old_addr + size) & mask;
	extent = next - pmc->old_addr;	/* right even if next overflowed */
	if (extent > pmc->old_end - pmc->old_addr)
		extent = pmc->old_end - pmc->old_addr;
	next = (pmc->new_addr + size) & mask;
	if (extent > next - pmc->new_addr)
		extent = next - pmc->new_addr;
	return extent;
}

/*
 * can_align_down - may the move start at @addr_to_align rounded down by
 * @mask?  Only from the VMA's start, and only over addresses no VMA maps
 * (the stack relocation may align inside its own VMA).
 */
static bool can_align_down(const struct pagetable_move_control *pmc, struct vm_area_struct *vma,
			   unsigned long addr_to_align, unsigned long mask)
{
	unsigned long addr_masked = addr_to_align & mask;

	if (!pmc->for_stack && vma->vm_start != addr_to_align)
		return false;
	if (pmc->for_stack && addr_masked >= vma->vm_start)
		return true;
	return find_vma_intersection(vma->vm_mm, addr_masked, vma->vm_start) == NULL;
}

/*
 * try_realign_addr - source and destination at the same offset in their
 * PMDs, with nothing mapped below either start down to the boundary, and
 * the range reaching the next boundary: start both at the boundary, so
 * the first whole PTE table moves at once (old_end stays).
 */
static void try_realign_addr(struct pagetable_move_control *pmc, unsigned long pagetable_mask)
{
	unsigned long align_mask = ~pagetable_mask;
	unsigned long old_align = pmc->old_addr & align_mask;
	unsigned long new_align = pmc->new_addr & align_mask;
	unsigned long old_align_next = align_mask + 1 - old_align;

	if (pmc->len_in < old_align_next || old_align == 0 || old_align != new_align)
		return;
	if (!can_align_down(pmc, pmc->old, pmc->old_addr, pagetable_mask) ||
	    !can_align_down(pmc, pmc->new, pmc->new_addr, pagetable_mask))
		return;
	pmc->old_addr &= pagetable_mask;
	pmc->new_addr &= pagetable_mask;
}

/* Bytes of the asked range whose tables were moved (0 if realigned and stopped at once). */
static unsigned long pmc_progress(const struct pagetable_move_control *pmc)
{
	unsigned long orig_old_addr = pmc->old_end - pmc->len_in;

	return pmc->old_addr < orig_old_addr ? 0 : pmc->old_addr - orig_old_addr;
}

/**
 * move_page_tables - move the page tables of [old_addr, old_addr + len_in)
 * of @pmc->old to @pmc->new at new_addr, one PUD, PMD or PTE table at a
 * time: a whole table when the extent covers it (move_normal_pud/pmd),
 * else pte by pte (move_ptes) into a PTE table allocated at the
 * destination.  Stops when an allocation fails (-ENOMEM).
 * Returns the bytes moved: len_in, or less when a table allocation failed.
 * Context: mmap_lock held for writing; allocates page tables; may yield
 * (cond_resched between extents, as the kernel's loop does).
 */
unsigned long move_page_tables(struct pagetable_move_control *pmc)
{
	struct mm_struct *mm = pmc->old->vm_mm;
	unsigned long extent;
	struct ex_trace_ctx prev;

	mmap_assert_write_locked(mm);
	if (!pmc->len_in)
		return 0;
	try_realign_addr(pmc, PMD_MASK);

	prev = trace_vma_enter(pmc->old_addr);
	for (; pmc->old_addr < pmc->old_end;
	     pmc->old_addr += extent, pmc->new_addr += extent) {
		unsigned long *old_pud, *new_pud, *old_pmd, *new_pmd;

		(void)trace_vma_enter(pmc->old_addr);	/* the extent it is at */
		cond_resched();
		extent = get_extent(NORMAL_PUD, pmc);
		old_pud = get_old_pud(mm, pmc->old_addr);
		if (!old_pud)
			continue;	/* no PMD table: nothing mapped in this extent */
		new_pud = alloc_new_pud(mm, pmc->new_addr);
		if (!new_pud)
			break;
		if (extent == PUD_SIZE && move_pgt_entry(pmc, NORMAL_PUD, old_pud, new_pud))
			continue;

		extent = get_extent(NORMAL_PMD, pmc);
		old_pmd = get_old_pmd(mm, pmc->old_addr);
		if (!old_pmd)
			continue;	/* no PTE table */
		new_pmd = alloc_new_pmd(mm, pmc->new_addr);
		if (!new_pmd)
			break;
again:
		VM_BUG_ON_MM(pmd_leaf((pmd_t){ slot_get(old_pmd) }), mm);	/* no THP */
		if (extent == PMD_SIZE && move_pgt_entry(pmc, NORMAL_PMD, old_pmd, new_pmd))
			continue;
		if (!slot_get(old_pmd))
			continue;
		if (pte_alloc(mm, pmc->new_addr))
			break;
		if (move_ptes(pmc, extent) < 0)
			goto again;
	}
	trace_vma_exit(prev);
	return pmc_progress(pmc);
}
