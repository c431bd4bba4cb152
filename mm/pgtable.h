/*
 * mm/pgtable.h - page-table entry helpers (include/linux/pgtable.h,
 * arch/x86/include/asm/pgtable.h, include/linux/leafops.h), our own bit
 * layout behind the kernel's names.
 */
#ifndef RMAPLAB_MM_PGTABLE_H
#define RMAPLAB_MM_PGTABLE_H

#include "mm/mm_types.h"

static inline unsigned long pte_val(pte_t pte) { return pte.pte; }
static inline pte_t native_make_pte(unsigned long v) { return (pte_t){ v }; }
static inline bool pte_none(pte_t pte) { return pte.pte == 0; }
static inline bool pte_present(pte_t pte) { return pte.pte & _PAGE_PRESENT; }
static inline bool pte_write(pte_t pte) { return pte.pte & _PAGE_RW; }
static inline bool pte_dirty(pte_t pte) { return pte.pte & _PAGE_DIRTY; }
static inline bool pte_young(pte_t pte) { return pte.pte & _PAGE_ACCESSED; }
static inline bool pte_special(pte_t pte) { return pte.pte & _PAGE_SPECIAL; }
static inline bool pte_protnone(pte_t pte) { return pte_present(pte) && (pte.pte & _PAGE_PROTNONE); }
static inline unsigned long pte_pfn(pte_t pte) { return pte.pte >> _PAGE_PFN_SHIFT; }
static inline bool pte_same(pte_t a, pte_t b) { return a.pte == b.pte; }

static inline pte_t pfn_pte(unsigned long pfn, unsigned long prot)
{
	return (pte_t){ (pfn << _PAGE_PFN_SHIFT) | _PAGE_PRESENT | prot };
}

static inline pte_t pte_mkwrite(pte_t pte) { pte.pte |= _PAGE_RW; return pte; }
static inline pte_t pte_wrprotect(pte_t pte) { pte.pte &= ~_PAGE_RW; return pte; }
static inline pte_t pte_mkdirty(pte_t pte) { pte.pte |= _PAGE_DIRTY | _PAGE_SOFT_DIRTY; return pte; }
static inline pte_t pte_mkclean(pte_t pte) { pte.pte &= ~_PAGE_DIRTY; return pte; }
static inline pte_t pte_mkyoung(pte_t pte) { pte.pte |= _PAGE_ACCESSED; return pte; }
static inline pte_t pte_mkold(pte_t pte) { pte.pte &= ~_PAGE_ACCESSED; return pte; }
static inline pte_t pte_mkspecial(pte_t pte) { pte.pte |= _PAGE_SPECIAL; return pte; }

/* pte_modify: the protection of a VMA's new flags, pfn and A/D bits kept. */
static inline pte_t pte_modify(pte_t pte, unsigned long page_prot, bool accessible)
{
	pte.pte &= ~(_PAGE_RW | _PAGE_PROTNONE);
	pte.pte |= page_prot & _PAGE_RW;
	if (!accessible)
		pte.pte |= _PAGE_PROTNONE;
	return pte;
}

/* Upper levels: none, or a pointer to the next table. */
static inline bool pmd_none(pmd_t pmd) { return pmd.pmd == 0; }
static inline bool pud_none(pud_t pud) { return pud.pud == 0; }
static inline bool pgd_none(pgd_t pgd) { return pgd.pgd == 0; }
static inline bool pmd_leaf(pmd_t pmd) { return (pmd.pmd & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE); }

/*
 * An upper-level entry pointing to a table holds the pointer above the
 * flag bits (host pointers are below 2^52), so its low bits never look
 * like a PMD leaf's.
 */
static inline struct ptdesc *entry_table(unsigned long v)
{
	return (struct ptdesc *)(uintptr_t)(v >> _PAGE_PFN_SHIFT);
}

static inline unsigned long table_entry(const struct ptdesc *t)
{
	return ((unsigned long)(uintptr_t)t << _PAGE_PFN_SHIFT) | _PAGE_TABLE;
}

/* Index of @addr in the table at @level (1 = PTE ... 4 = PGD). */
static inline unsigned int pt_index(unsigned long addr, int level)
{
	return (unsigned int)((addr >> (PAGE_SHIFT + 9 * (level - 1))) & (PTRS_PER_TABLE - 1));
}

static inline unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long boundary = (addr + PMD_SIZE) & PMD_MASK;

	return boundary - 1 < end - 1 ? boundary : end;
}

/* ------------------------------------------------------------------ */
/* softleaf entries: swap and migration (include/linux/leafops.h) */

#define SWP_TYPE_SHIFT	58
#define SWP_OFFSET_MASK	((1UL << SWP_TYPE_SHIFT) - 1)

static inline swp_entry_t swp_entry(unsigned int type, unsigned long offset)
{
	return (swp_entry_t){ ((unsigned long)type << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK) };
}

static inline unsigned int swp_type(swp_entry_t e) { return (unsigned int)(e.val >> SWP_TYPE_SHIFT); }
static inline unsigned long swp_offset(swp_entry_t e) { return e.val & SWP_OFFSET_MASK; }

/* A pte that is neither none nor present holds a softleaf entry. */
static inline bool is_swap_pte(pte_t pte) { return !pte_none(pte) && !pte_present(pte); }

static inline softleaf_t softleaf_from_pte(pte_t pte)
{
	unsigned int type = (unsigned int)((pte.pte & _PAGE_SWP_TYPE_MASK) >> _PAGE_SWP_TYPE_SHIFT);

	return swp_entry(type, pte.pte >> _PAGE_PFN_SHIFT);
}

static inline pte_t softleaf_to_pte(softleaf_t entry)
{
	return (pte_t){ (swp_offset(entry) << _PAGE_PFN_SHIFT) |
			((unsigned long)swp_type(entry) << _PAGE_SWP_TYPE_SHIFT) | _PAGE_SWP_MARK };
}

static inline bool softleaf_is_migration(softleaf_t e)
{
	return swp_type(e) >= SWP_MIGRATION_READ && swp_type(e) <= SWP_MIGRATION_WRITE;
}

static inline bool softleaf_is_swap(softleaf_t e) { return swp_type(e) < MAX_SWAPFILES; }
static inline bool softleaf_is_migration_write(softleaf_t e) { return swp_type(e) == SWP_MIGRATION_WRITE; }
static inline bool softleaf_is_migration_read_exclusive(softleaf_t e)
{
	return swp_type(e) == SWP_MIGRATION_READ_EXCLUSIVE;
}
static inline unsigned long softleaf_to_pfn(softleaf_t e) { return swp_offset(e); }

static inline softleaf_t make_readable_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_READ, pfn);
}
static inline softleaf_t make_readable_exclusive_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_READ_EXCLUSIVE, pfn);
}
static inline softleaf_t make_writable_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_WRITE, pfn);
}

/*
 * A migration entry carries the young and dirty bits of the pte it
 * replaced (the kernel's make_migration_entry_young/_dirty keep them in
 * the entry's offset; here they are pte bits beside the entry).  Whoever
 * rewrites an entry (fork's downgrade, mprotect) keeps them.
 */
#define _PAGE_SWP_MIGRATION_BITS (_PAGE_SWP_YOUNG | _PAGE_SWP_DIRTY)
static inline bool pte_swp_young(pte_t pte) { return pte.pte & _PAGE_SWP_YOUNG; }
static inline pte_t pte_swp_mkyoung(pte_t pte) { pte.pte |= _PAGE_SWP_YOUNG; return pte; }
static inline bool pte_swp_dirty(pte_t pte) { return pte.pte & _PAGE_SWP_DIRTY; }
static inline pte_t pte_swp_mkdirty(pte_t pte) { pte.pte |= _PAGE_SWP_DIRTY; return pte; }

/* @entry in place of the migration entry @old, @old's young and dirty kept. */
static inline pte_t pte_swp_remake_migration(pte_t old, softleaf_t entry)
{
	pte_t pte = softleaf_to_pte(entry);

	pte.pte |= old.pte & _PAGE_SWP_MIGRATION_BITS;
	return pte;
}

static inline bool pte_swp_exclusive(pte_t pte) { return pte.pte & _PAGE_SWP_EXCLUSIVE; }
static inline pte_t pte_swp_mkexclusive(pte_t pte) { pte.pte |= _PAGE_SWP_EXCLUSIVE; return pte; }
static inline pte_t pte_swp_clear_exclusive(pte_t pte) { pte.pte &= ~_PAGE_SWP_EXCLUSIVE; return pte; }

#endif /* RMAPLAB_MM_PGTABLE_H */
