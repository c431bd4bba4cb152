/*
 * mm/pgtable.c - 4-level page tables (model)
 *
 * Models: pgd/pud/pmd/pte allocation (__pte_alloc and friends, with
 *         mm->page_table_lock guarding the populate), the split PTE lock
 *         (pte_offset_map_lock), free_pgd_range with the kernel's
 *         floor/ceiling rule, set_pte_at and ptep_get_and_clear.
 * Page-table pages come from vm_alloc(VM_ALLOC_PGTABLE), not from the
 * frame allocator, so `inject pgtable` reaches every table allocation.
 * Leaves out: p4d (folded), PUD leaves, RCU freeing of tables (tables are
 *         freed only once no VMA covers them, after the VMAs left the rmap
 *         trees, which is what makes the kernel's RCU walk safe too).
 */
#include "mm/internal.h"

/**
 * pgtable_alloc - a zeroed page-table page for @level (1 = PTE table).
 * Returns NULL on (injected) allocation failure.
 * Context: any; no locks needed; does not yield.
 */
struct ptdesc *pgtable_alloc(struct mm_struct *mm, int level)
{
	struct ptdesc *t = vm_alloc(VM_ALLOC_PGTABLE, sizeof(*t));

	if (!t)
		return NULL;
	t->level = level;
	ex_lock_init(&t->ptl, &ex_class_ptl);
	if (mm)
		__atomic_fetch_add(&mm->nr_pgtables, 1, __ATOMIC_RELAXED);	/* mm_inc_nr_ptes */
	return t;
}

void pgtable_free(struct mm_struct *mm, struct ptdesc *t)
{
	VM_BUG_ON(ex_lock_is_locked(&t->ptl));
	if (mm)
		__atomic_fetch_sub(&mm->nr_pgtables, 1, __ATOMIC_RELAXED);
	vm_free(VM_ALLOC_PGTABLE, t);
}

/* The table one level below @t for @addr, or NULL. */
static struct ptdesc *next_table(const struct ptdesc *t, unsigned long addr)
{
	/* a lockless walk: pairs with the release in table_populate (smp_wmb) */
	unsigned long e = __atomic_load_n(&t->entries[pt_index(addr, t->level)], __ATOMIC_ACQUIRE);

	if (!e || (t->level == 2 && pmd_leaf((pmd_t){ e })))
		return NULL;
	return entry_table(e);
}

struct ptdesc *walk_pte_table(struct mm_struct *mm, unsigned long addr)
{
	struct ptdesc *t = mm->pgd;

	while (t && t->level > 1)
		t = next_table(t, addr);
	return t;
}

pte_t *pte_offset_map(struct mm_struct *mm, unsigned long addr)
{
	struct ptdesc *t = walk_pte_table(mm, addr);

	return t ? (pte_t *)&t->entries[pt_index(addr, 1)] : NULL;
}

spinlock_t *pte_lockptr(struct mm_struct *mm, unsigned long addr)
{
	struct ptdesc *t = walk_pte_table(mm, addr);

	return t ? &t->ptl : NULL;
}

/**
 * pte_offset_map_lock - map the pte for @addr and take its table's lock.
 * Returns NULL when the PTE table does not exist.  The table cannot go
 * away under the caller: tables are freed only under mmap_lock for
 * writing after their VMAs left the rmap trees, and every caller holds
 * mmap_lock or an rmap lock covering the VMA.
 * Context: takes the split PTL; may yield.
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	struct ptdesc *t = walk_pte_table(mm, addr);

	if (!t)
		return NULL;
	spin_lock(&t->ptl);
	*ptlp = &t->ptl;
	return (pte_t *)&t->entries[pt_index(addr, 1)];
}

void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl)
{
	(void)pte;
	spin_unlock(ptl);
}

/* __pud_alloc / __pmd_alloc / __pte_alloc: populate under page_table_lock. */
static int table_populate(struct mm_struct *mm, struct ptdesc *parent, unsigned long addr)
{
	unsigned int idx = pt_index(addr, parent->level);
	struct ptdesc *child = pgtable_alloc(mm, parent->level - 1);

	if (!child)
		return -ENOMEM;
	spin_lock(&mm->page_table_lock);
	if (!__atomic_load_n(&parent->entries[idx], __ATOMIC_RELAXED)) {
		/* pmd_populate after smp_wmb: the zeroed table before the entry */
		__atomic_store_n(&parent->entries[idx], table_entry(child), __ATOMIC_RELEASE);
		child = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (child)	/* another thread populated it first */
		pgtable_free(mm, child);
	return 0;
}

/* Allocate the levels down to @level's table for @addr. */
static int table_alloc_to(struct mm_struct *mm, unsigned long addr, int level)
{
	struct ptdesc *t = mm->pgd;

	while (t->level > level) {
		if (!__atomic_load_n(&t->entries[pt_index(addr, t->level)], __ATOMIC_RELAXED)) {
			int err = table_populate(mm, t, addr);

			if (err)
				return err;
		}
		t = next_table(t, addr);
		VM_BUG_ON(!t);
	}
	return 0;
}

/**
 * pud_alloc - the PUD table for @addr (mremap's alloc_new_pud).
 * Context: mmap_lock held; takes page_table_lock; may yield.
 */
int pud_alloc(struct mm_struct *mm, unsigned long addr)
{
	return table_alloc_to(mm, addr, 3);
}

/**
 * pmd_alloc - the PUD and PMD tables for @addr (handle_mm_fault's share).
 * Context: mmap_lock held; takes page_table_lock; may yield.
 */
int pmd_alloc(struct mm_struct *mm, unsigned long addr)
{
	return table_alloc_to(mm, addr, 2);
}

/**
 * pte_alloc - make sure every level down to the PTE table for @addr exists.
 * Returns 0 or -ENOMEM.
 * Context: mmap_lock held (read is enough); takes page_table_lock; may yield.
 */
int pte_alloc(struct mm_struct *mm, unsigned long addr)
{
	return table_alloc_to(mm, addr, 1);
}

pte_t *pte_alloc_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	if (pte_alloc(mm, addr))
		return NULL;
	return pte_offset_map_lock(mm, addr, ptlp);
}

/* ------------------------------------------------------------------ */
/* free_pgd_range: the kernel's floor/ceiling rule, one level at a time */

static unsigned long level_size(int level)
{
	return 1UL << (PAGE_SHIFT + 9 * level);	/* span of one table at @level */
}

static unsigned long level_addr_end(unsigned long addr, unsigned long end, int level)
{
	unsigned long size = level_size(level - 1);
	unsigned long boundary = (addr + size) & ~(size - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

static void free_pte_table(struct mm_struct *mm, struct ptdesc *pmd_table, unsigned long addr)
{
	unsigned int idx = pt_index(addr, 2);
	struct ptdesc *pte_table = entry_table(pmd_table->entries[idx]);

	for (int i = 0; i < PTRS_PER_TABLE; i++)
		VM_BUG_ON_MM(pte_table->entries[i] != 0, mm);
	pmd_table->entries[idx] = 0;
	pgtable_free(mm, pte_table);
}

/*
 * free_level_range - free the tables under @table (at @level >= 2) that
 * serve [addr, end), then @table itself if the whole span it serves lies
 * within [floor, ceiling) (the caller clears its entry).
 * Returns true if @table was freed.
 */
static bool free_level_range(struct mm_struct *mm, struct ptdesc *table, unsigned long addr,
			     unsigned long end, unsigned long floor, unsigned long ceiling)
{
	int level = table->level;
	unsigned long start = addr, next;
	unsigned long mask = ~(level_size(level) - 1);

	do {
		unsigned int idx = pt_index(addr, level);

		next = level_addr_end(addr, end, level);
		if (!table->entries[idx])
			continue;
		if (level == 2) {
			free_pte_table(mm, table, addr);
		} else if (free_level_range(mm, entry_table(table->entries[idx]), addr, next,
					    floor, ceiling)) {
			table->entries[idx] = 0;
		}
	} while (addr = next, addr != end);

	if (level == 4)
		return false;	/* the pgd lives as long as the mm */
	start &= mask;
	if (start < floor)
		return false;
	if (ceiling) {
		ceiling &= mask;
		if (!ceiling)
			return false;
	}
	if (end - 1 > ceiling - 1)
		return false;
	pgtable_free(mm, table);
	return true;
}

/**
 * free_pgd_range - free the page tables of [addr, end) that no address in
 * [floor, ceiling)'s complement needs: the neighbouring VMAs end at floor
 * and start at ceiling (0 = the top).  Every pte in them must be none.
 * Context: mmap_lock held for writing (or the mm is going away); the VMAs
 * of the range are already out of the rmap trees.
 */
void free_pgd_range(struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling)
{
	addr &= PMD_MASK;
	if (addr < floor) {
		addr += PMD_SIZE;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= PMD_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	if (addr > end - 1)
		return;
	vm_tlb_shootdown_begin();
	free_level_range(mm, mm->pgd, addr, end, floor, ceiling);
	vm_tlb_shootdown_end();
}

/**
 * walk_page_range - call @pte_entry for every non-none pte of [start, end)
 * of @vma, one PTE table at a time under its split lock (the kernel's
 * walk_page_range with only a pte_entry callback).  Tables that do not
 * exist are skipped; cond_resched() between tables, as the kernel's
 * walkers do.
 * Context: mmap_lock held (or the VMA kept by an rmap lock); takes each
 * table's PTL; @pte_entry runs with it held and must not sleep.
 */
void walk_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		     pte_entry_fn pte_entry, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;

	while (start < end) {
		unsigned long next = pmd_addr_end(start, end);
		spinlock_t *ptl = NULL;
		pte_t *pte = pte_offset_map_lock(mm, start, &ptl);	/* NULL: no table */

		if (pte) {
			for (unsigned long addr = start; addr < next; addr += PAGE_SIZE, pte++)
				if (!pte_none(ptep_get(pte)))
					pte_entry(vma, addr, pte, arg);
			pte_unmap_unlock(pte, ptl);
		}
		start = next;
		cond_resched();
	}
}

/* ------------------------------------------------------------------ */

/* Entries [i, i + n) of @t are all none (the checker's walks skip empty runs fast). */
static inline bool run_empty(const struct ptdesc *t, int i, int n)
{
	unsigned long acc = 0;

	for (int j = 0; j < n; j++)
		acc |= t->entries[i + j];
	return !acc;
}

static void walk_table(struct mm_struct *mm, struct ptdesc *t, unsigned long base,
		       pte_visit_fn fn, void *arg)
{
	_Static_assert(PTRS_PER_TABLE % 64 == 0, "runs of 64 entries");
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		unsigned long e, addr;

		if (!(i & 63) && run_empty(t, i, 64)) {
			i += 63;
			continue;
		}
		if (!(i & 7) && run_empty(t, i, 8)) {
			i += 7;
			continue;
		}
		e = t->entries[i];
		addr = base + ((unsigned long)i << (PAGE_SHIFT + 9 * (t->level - 1)));
		if (!e)
			continue;
		if (t->level == 1)
			fn(mm, addr, (pte_t *)&t->entries[i], arg);
		else if (!(t->level == 2 && pmd_leaf((pmd_t){ e })))
			walk_table(mm, entry_table(e), addr, fn, arg);
	}
}

/* Visit every non-none pte of @mm in address order; no locks. */
void walk_all_ptes(struct mm_struct *mm, pte_visit_fn fn, void *arg)
{
	if (mm->pgd)
		walk_table(mm, mm->pgd, 0, fn, arg);
}
