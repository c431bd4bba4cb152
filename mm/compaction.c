/*
 * mm/compaction.c - memory compaction (model)
 *
 * Models: compact_nodes / compact_node (echo 1 > /proc/sys/vm/compact_memory
 *         or a node's sysfs compact file: MIGRATE_SYNC over the whole node)
 *         and compact_zone with its two scanners: the migrate scanner
 *         (isolate_migratepages_block) goes up from the node's first frame
 *         and isolates each LRU folio it meets (folio_try_get, then off the
 *         LRU); the free scanner (isolate_freepages_block) goes down from
 *         the node's last frame and takes the free frames it meets; each
 *         isolated folio is migrated on its own to a frame the free scanner
 *         found (compaction_alloc, compaction_free); compaction ends where
 *         the scanners meet (compact_finished).  Folios move up, towards the
 *         node's end; the free frames gather at its start.
 * No mmap_lock is taken: compaction finds folios by pfn and reaches their
 * mappings only through the rmap, so it races every page-table operation
 * of every process - fork, munmap, mprotect, faults - with nothing but the
 * folio lock and the rmap's walk order between them.
 * See lock ordering in mm/rmap.c.
 * Leaves out: zones, pageblocks and migratetypes (the scanners go frame by
 *         frame), batches of COMPACT_CLUSTER_MAX folios per migrate_pages
 *         call, skip hints, deferred and proactive compaction, kcompactd,
 *         direct compaction's order and watermark checks, non-LRU movable
 *         pages.
 */
#include "mm/internal.h"

#define COMPACT_CLUSTER_MAX 32	/* SWAP_CLUSTER_MAX: the scanners' cond_resched() interval */

/* The state of one node's compaction (struct compact_control). */
struct compact_control {
	struct pglist_data *pgdat;
	unsigned long migrate_pfn;	/* the migrate scanner's next frame (going up) */
	unsigned long free_pfn;		/* the free scanner has looked at every frame from here up */
	struct list_head freepages;	/* isolated free frames, not used yet */
	struct list_head migratepages;	/* the isolated folio being migrated */
};

/*
 * isolate_freepages - the free scanner: the next free frame going down,
 * strictly above the migrate scanner (a folio never moves down).
 * Context: no locks held; takes the zone lock per frame; may yield.
 */
static void isolate_freepages(struct compact_control *cc)
{
	while (cc->free_pfn > cc->migrate_pfn) {
		struct folio *folio;

		cc->free_pfn--;
		if (!(cc->free_pfn % COMPACT_CLUSTER_MAX))
			cond_resched();
		folio = isolate_free_frame(cc->free_pfn);
		if (folio) {
			list_add_tail(&folio->lru, &cc->freepages);
			return;
		}
	}
}

/* compaction_alloc - migrate_pages' new_folio_t: a frame the free scanner found. */
static struct folio *compaction_alloc(struct folio *src, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;
	struct folio *dst;

	(void)src;
	if (list_empty(&cc->freepages))
		isolate_freepages(cc);
	if (list_empty(&cc->freepages))
		return NULL;	/* the scanners met */
	dst = list_first_entry(&cc->freepages, struct folio, lru);
	list_del(&dst->lru);
	INIT_LIST_HEAD(&dst->lru);
	return dst;
}

/* compaction_free - a destination migration did not use: keep it for the next folio. */
static void compaction_free(struct folio *dst, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;

	list_add(&dst->lru, &cc->freepages);
}

/* release_free_list - the isolated frames left over go back to the buddy allocator. */
static void release_free_list(struct list_head *freepages)
{
	struct folio *folio, *next;

	list_for_each_entry_safe(folio, next, freepages, lru) {
		list_del(&folio->lru);
		INIT_LIST_HEAD(&folio->lru);
		folio_put(folio);
	}
}

/*
 * isolate_migratepage - the migrate scanner: the next LRU folio going up,
 * below the free scanner, isolated (with the isolation's reference).  A
 * folio is looked at with no lock of its own: folio_try_get fails on one
 * being freed, and folio_isolate_lru on one someone else isolated (a
 * migration, reclaim) - both are skipped.
 * Context: no locks held; takes the zone lock per frame, the lru_lock; may yield.
 */
static struct folio *isolate_migratepage(struct compact_control *cc)
{
	while (cc->migrate_pfn < cc->free_pfn) {
		unsigned long pfn = cc->migrate_pfn++;
		struct folio *folio = pfn_folio(pfn);
		bool got;

		if (!(pfn % COMPACT_CLUSTER_MAX))
			cond_resched();
		/* with real threads, against the allocator's prep and free of the frame */
		vm_host_lock(VM_ZONE_LOCK);
		got = !folio_test_buddy(folio) && folio_test_lru(folio) && folio_try_get(folio);
		vm_host_unlock(VM_ZONE_LOCK);
		if (!got)
			continue;
		if (!folio_isolate_lru(folio)) {
			folio_put(folio);
			continue;
		}
		folio_put(folio);	/* the isolation holds its own */
		return folio;
	}
	return NULL;
}

/*
 * compact_node - compact one node: migrate every movable folio below the
 * point where the scanners meet to a free frame above it, one at a time.
 * A folio that cannot be migrated (busy, pinned) stays where it is.
 * Context: no locks held; may sleep.
 */
static void compact_node(struct pglist_data *pgdat)
{
	struct compact_control cc = {
		.pgdat = pgdat,
		.migrate_pfn = pgdat->node_start_pfn,
		.free_pfn = pgdat->node_start_pfn + pgdat->node_spanned_pages,
	};

	INIT_LIST_HEAD(&cc.freepages);
	INIT_LIST_HEAD(&cc.migratepages);
	while (cc.migrate_pfn < cc.free_pfn) {	/* compact_finished: not met yet */
		struct folio *folio = isolate_migratepage(&cc);
		int err;

		if (!folio)
			break;
		list_add_tail(&folio->lru, &cc.migratepages);
		err = migrate_pages(&cc.migratepages, compaction_alloc, compaction_free,
				    (unsigned long)&cc, MIGRATE_SYNC, MR_COMPACTION);
		if (err)
			putback_movable_pages(&cc.migratepages);
		if (err == -ENOMEM)
			break;	/* no free frame above: the scanners met */
	}
	release_free_list(&cc.freepages);
}

/**
 * compact_nodes - the `compact [NODE]` statement: compact @node, or every
 * node when @node < 0.  Returns 0, or -EINVAL for a node that does not exist.
 * Context: no locks held (no mmap_lock either); may sleep.
 */
int compact_nodes(int node)
{
	if (node >= machine->nr_nodes)
		return -EINVAL;
	for (int nid = 0; nid < machine->nr_nodes; nid++)
		if (node < 0 || nid == node)
			compact_node(&machine->node_data[nid]);
	return 0;
}
