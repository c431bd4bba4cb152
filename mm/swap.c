/*
 * mm/swap.c - the LRU lists (model)
 *
 * Models: folio_add_lru, folio_add_lru_vma, folio_isolate_lru,
 *         folio_putback_lru, folio_deactivate, folio_mark_accessed.
 * An LRU list holds no reference (as in the kernel once the per-CPU
 * batches are drained); isolation holds one.
 * Leaves out: the per-CPU folio batches (every add is drained at once),
 *         MGLRU, memory cgroups, workingset shadows.
 */
#include "mm/internal.h"

void lruvec_init(struct lruvec *lruvec)
{
	for (int i = 0; i < NR_LRU_LISTS; i++) {
		INIT_LIST_HEAD(&lruvec->lists[i]);
		lruvec->nr[i] = 0;
	}
	ex_lock_init(&lruvec->lru_lock, &ex_class_lru_lock);
}

static struct lruvec *folio_lruvec(const struct folio *folio)
{
	return &machine->node_data[folio_nid(folio)].lruvec;
}

static enum lru_list folio_lru_list(const struct folio *folio)
{
	bool file = !folio_test_swapbacked(folio);

	return (file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON) + (folio_test_active(folio) ? 1 : 0);
}

static void lruvec_add_folio(struct lruvec *lruvec, struct folio *folio)
{
	enum lru_list lru = folio_lru_list(folio);

	list_add(&folio->lru, &lruvec->lists[lru]);
	lruvec->nr[lru]++;
	folio_set_lru(folio);
}

static void lruvec_del_folio(struct lruvec *lruvec, struct folio *folio)
{
	enum lru_list lru = folio_lru_list(folio);

	list_del(&folio->lru);
	INIT_LIST_HEAD(&folio->lru);
	lruvec->nr[lru]--;
	folio_clear_lru(folio);
}

/**
 * folio_add_lru - put a new folio on its node's inactive list.
 * Context: any; takes the lru_lock.
 */
void folio_add_lru(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec(folio);

	VM_BUG_ON_FOLIO(folio_test_lru(folio), folio);
	spin_lock(&lruvec->lru_lock);
	lruvec_add_folio(lruvec, folio);
	spin_unlock(&lruvec->lru_lock);
}

void folio_add_lru_vma(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	folio_add_lru(folio);
}

void lruvec_del_folio_locked(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec(folio);

	spin_lock(&lruvec->lru_lock);
	lruvec_del_folio(lruvec, folio);
	spin_unlock(&lruvec->lru_lock);
}

/**
 * folio_isolate_lru - take a folio off the LRU for reclaim or migration.
 * Returns true with one extra reference held by the caller.
 * Context: the caller holds a reference; takes the lru_lock.
 */
bool folio_isolate_lru(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec(folio);
	bool ret = false;

	spin_lock(&lruvec->lru_lock);
	if (folio_test_lru(folio)) {
		folio_get(folio);
		lruvec_del_folio(lruvec, folio);
		folio_set_isolated(folio);
		ret = true;
	}
	spin_unlock(&lruvec->lru_lock);
	return ret;
}

void folio_putback_lru(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec(folio);

	spin_lock(&lruvec->lru_lock);
	folio_clear_isolated(folio);
	lruvec_add_folio(lruvec, folio);
	spin_unlock(&lruvec->lru_lock);
	folio_put(folio);
}

void folio_deactivate(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec(folio);

	spin_lock(&lruvec->lru_lock);
	if (folio_test_lru(folio)) {
		lruvec_del_folio(lruvec, folio);
		folio_clear_active(folio);
		folio_clear_referenced(folio);
		lruvec_add_folio(lruvec, folio);
	}
	spin_unlock(&lruvec->lru_lock);
}

void folio_mark_accessed(struct folio *folio)
{
	if (!folio_test_referenced(folio)) {
		folio_set_referenced(folio);
		return;
	}
	if (folio_test_active(folio))
		return;
	struct lruvec *lruvec = folio_lruvec(folio);

	spin_lock(&lruvec->lru_lock);
	if (folio_test_lru(folio)) {
		lruvec_del_folio(lruvec, folio);
		folio_set_active(folio);
		lruvec_add_folio(lruvec, folio);
	}
	spin_unlock(&lruvec->lru_lock);
	folio_clear_referenced(folio);
}
