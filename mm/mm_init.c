/*
 * mm/mm_init.c - the machine: memory nodes, the frame array, frame data,
 * the shared zero page (model)
 *
 * Models: free_area_init, mem_map, empty_zero_page.
 * Layout: pfn 0 is the shared zero page; node n spans
 * [node_start_pfn, node_start_pfn + spanned), each start aligned to
 * 1 << MAX_PAGE_ORDER so buddy arithmetic works on absolute pfns.  Frames
 * between nodes are reserved and never allocated.
 * Leaves out: zones, memory hotplug, per-CPU page lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "mm/internal.h"

struct machine *machine;

/*
 * config.populate (bench): the frame data of one machine is kept, mapped
 * and touched, for the next, as a kernel's RAM stays mapped.  Under shadow
 * paging (this machine's hypervisor) the first user touch of each fresh
 * host page costs an exit that the kernel's own clear_page never pays;
 * the arena keeps that out of the timed work.  Zeroed for each machine.
 */
static unsigned char *arena;
static size_t arena_size;

static unsigned char *frame_data_map(size_t size, bool populate)
{
	unsigned char *p;

	if (populate && arena && arena_size >= size) {
		memset(arena, 0, size);
		return arena;
	}
	if (populate)
		machine_release_arena();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (populate ? MAP_POPULATE : 0), -1, 0);
	if (p == MAP_FAILED)
		ex_panic("cannot reserve %zu bytes of frame data", size);
	if (populate) {
		/* the kernel side of bench forks: keep the arena out of its children */
		madvise(p, size, MADV_DONTFORK);
		memset(p, 0, size);	/* the first user touch, outside any timing */
		arena = p;
		arena_size = size;
	}
	return p;
}

/*
 * mem_map, 64-byte aligned so that each folio is one cache line, as each
 * struct page is.  A bench machine's (config.populate) gets its own
 * mapping, unmapped when the machine goes rather than left in the heap
 * for the kernel side's forks to copy; the explorer's many small machines
 * take theirs from the heap, where a fresh mapping each would cost a host
 * page fault per 4 KiB.
 */
static struct folio *mem_map_alloc(unsigned long nr, bool populate)
{
	size_t size = nr * sizeof(struct folio);
	void *p;

	if (populate) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			ex_panic("cannot map a mem_map of %lu folios", nr);
		return p;
	}
	if (posix_memalign(&p, 64, size))
		ex_panic("host out of memory (a mem_map of %lu folios)", nr);
	return memset(p, 0, size);
}

static void mem_map_free(struct machine *m)
{
	if (m->config.populate)
		munmap(m->mem_map, m->max_pfn * sizeof(struct folio));
	else
		free(m->mem_map);
}

void machine_release_arena(void)
{
	if (arena)
		munmap(arena, arena_size);
	arena = NULL;
	arena_size = 0;
}

#define NODE_ALIGN (1UL << MAX_PAGE_ORDER)

static void init_frame(struct machine *m, unsigned long pfn, int nid)
{
	struct folio *f = &m->mem_map[pfn];

	f->flags = (unsigned long)nid << FOLIO_NODE_SHIFT;
	INIT_LIST_HEAD(&f->lru);
	f->_mapcount = -1;
	f->_refcount = 0;
	f->virtual = m->frame_data + pfn * PAGE_SIZE;
}

struct machine *machine_create(const struct vm_config *config, const struct vm_variants *variants)
{
	struct machine *m = xcalloc(1, sizeof(*m));
	unsigned long pfn = NODE_ALIGN;

	m->config = *config;
	if (variants)
		m->variants = *variants;
	m->nr_nodes = config->nodes;
	INIT_LIST_HEAD(&m->allocations);
	INIT_LIST_HEAD(&m->mm_list);
	INIT_LIST_HEAD(&m->inode_list);

	for (int nid = 0; nid < m->nr_nodes; nid++) {
		unsigned long share = config->frames / (unsigned long)m->nr_nodes +
				      ((unsigned long)nid < config->frames % (unsigned long)m->nr_nodes);
		struct pglist_data *pgdat = &m->node_data[nid];

		pgdat->node_id = nid;
		pgdat->node_start_pfn = pfn;
		pgdat->node_spanned_pages = share;
		pfn = (pfn + share + NODE_ALIGN - 1) & ~(NODE_ALIGN - 1);
	}
	m->max_pfn = pfn;
	m->mem_map = mem_map_alloc(m->max_pfn, config->populate);
	m->frame_data_size = m->max_pfn * PAGE_SIZE;
	m->frame_data = frame_data_map(m->frame_data_size, config->populate);

	for (pfn = 0; pfn < m->max_pfn; pfn++) {
		init_frame(m, pfn, 0);
		folio_set_flag(&m->mem_map[pfn], PG_reserved);
	}
	/* The shared zero page: never freed, never counted in mapcount. */
	m->zero_folio = &m->mem_map[0];
	m->zero_folio->_refcount = 1;
	folio_set_flag(m->zero_folio, PG_uptodate);

	for (int nid = 0; nid < m->nr_nodes; nid++) {
		struct pglist_data *pgdat = &m->node_data[nid];

		for (pfn = pgdat->node_start_pfn;
		     pfn < pgdat->node_start_pfn + pgdat->node_spanned_pages; pfn++)
			init_frame(m, pfn, nid);
		lruvec_init(&pgdat->lruvec);
	}
	buddy_init(m);
	return m;
}

void machine_destroy(struct machine *m)
{
	struct list_head *pos, *next;
	struct machine *saved = machine;

	machine = m;
	for (pos = m->allocations.next; pos != &m->allocations; pos = next) {
		next = pos->next;
		vm_alloc_release_raw(pos);
	}
	if (m->frame_data != arena)
		munmap(m->frame_data, m->frame_data_size);
	mem_map_free(m);
	free(m);
	machine = saved == m ? NULL : saved;
}
