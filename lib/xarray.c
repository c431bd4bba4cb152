/*
 * lib/xarray.c - the sparse index -> pointer map (see xarray.h)
 *
 * Layout: a radix tree of 64-slot nodes.  A node with shift s holds, in
 * slot k, what lies at indices whose bits s..s+5 equal k: a child node
 * (shift s - 6) when s > 0, an entry when s == 0.  The top node's shift is
 * xa->shift; it covers indices below 64 << shift (all of them at shift 60).
 * Whether a slot holds a node or an entry is known from the node's shift,
 * so entries are never tagged and may be any non-NULL pointer.
 *
 * Invariants between operations:
 *  - every node has at least one non-NULL slot (empty nodes are freed);
 *  - the height is minimal: the top node has shift 0 or uses a slot
 *    other than 0 (otherwise its slot-0 child becomes the top);
 *  - xa->count is the number of entries, node->count its non-NULL slots.
 *
 * xa_store() counts the nodes it will need before touching anything and
 * allocates them all up front, so an allocation failure changes nothing.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xarray.h"

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1u << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK	(XA_CHUNK_SIZE - 1)
#define XA_MAX_SHIFT	60	/* a top node at shift 60 covers all 64 index bits */
#define XA_MAX_LEVELS	(XA_MAX_SHIFT / XA_CHUNK_SHIFT + 1)

struct xa_node {
	struct xa_node *parent;		/* NULL for the top node */
	unsigned char shift;		/* index bits below this node's slots */
	unsigned char offset;		/* our slot in the parent */
	unsigned char count;		/* non-NULL slots */
	void *slots[XA_CHUNK_SIZE];
};

static void *default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void default_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

void xa_init(struct xarray *xa, void *(*alloc)(void *, size_t), void (*free_fn)(void *, void *),
	     void *ctx)
{
	xa->head = NULL;
	xa->shift = 0;
	xa->count = 0;
	xa->alloc = alloc ? alloc : default_alloc;
	xa->free = free_fn ? free_fn : default_free;
	xa->ctx = ctx;
}

static inline unsigned int slot_of(uint64_t index, unsigned int shift)
{
	return (unsigned int)(index >> shift) & XA_CHUNK_MASK;
}

/* Does a top node at @shift (<= XA_MAX_SHIFT) cover @index? */
static inline bool covers(unsigned int shift, uint64_t index)
{
	return (index >> shift) < XA_CHUNK_SIZE;	/* always true at shift 60 */
}

/* The smallest top shift covering @index. */
static unsigned int shift_for(uint64_t index)
{
	unsigned int shift = 0;

	while (!covers(shift, index))
		shift += XA_CHUNK_SHIFT;
	return shift;
}

static void node_free(struct xarray *xa, struct xa_node *node)
{
	xa->free(xa->ctx, node);
}

/* The shift-0 node that would hold @index, or NULL if there is none. */
static struct xa_node *leaf_for(const struct xarray *xa, uint64_t index)
{
	struct xa_node *node = xa->head;

	if (!node || !covers(xa->shift, index))
		return NULL;
	while (node && node->shift > 0)
		node = node->slots[slot_of(index, node->shift)];
	return node;
}

void *xa_load(const struct xarray *xa, uint64_t index)
{
	struct xa_node *leaf = leaf_for(xa, index);

	return leaf ? leaf->slots[slot_of(index, 0)] : NULL;
}

bool xa_empty(const struct xarray *xa)
{
	return xa->head == NULL;
}

/* Nodes xa_store(@index) must create, and the top shift it will end with. */
static unsigned int nodes_needed(const struct xarray *xa, uint64_t index, unsigned int *top)
{
	struct xa_node *node = xa->head;

	if (!node) {
		*top = shift_for(index);
		return *top / XA_CHUNK_SHIFT + 1;	/* one node per level */
	}
	if (!covers(xa->shift, index)) {
		/*
		 * Grow: new levels above the old top (each holding the level
		 * below in slot 0), and a fresh path from the new top down,
		 * since @index's digit at the new top is not 0.
		 */
		*top = shift_for(index);
		return (*top - xa->shift) / XA_CHUNK_SHIFT + *top / XA_CHUNK_SHIFT;
	}
	*top = xa->shift;
	while (node->shift > 0) {
		struct xa_node *next = node->slots[slot_of(index, node->shift)];

		if (!next)
			return node->shift / XA_CHUNK_SHIFT;	/* the levels below */
		node = next;
	}
	return 0;
}

/* Take the next preallocated node and initialise it. */
static struct xa_node *take_node(struct xa_node **pool, unsigned int *used, unsigned int need,
				 unsigned int shift, struct xa_node *parent, unsigned int offset)
{
	struct xa_node *node;

	assert(*used < need);
	(void)need;
	node = pool[(*used)++];
	memset(node, 0, sizeof(*node));
	node->shift = (unsigned char)shift;
	node->parent = parent;
	node->offset = (unsigned char)offset;
	return node;
}

int xa_store(struct xarray *xa, uint64_t index, void *entry)
{
	struct xa_node *pool[2 * XA_MAX_LEVELS];
	unsigned int need, used = 0, top, off;
	struct xa_node *node;

	if (!entry)
		return -EINVAL;

	need = nodes_needed(xa, index, &top);
	assert(need <= 2 * XA_MAX_LEVELS);
	for (unsigned int i = 0; i < need; i++) {
		pool[i] = xa->alloc(xa->ctx, sizeof(struct xa_node));
		if (!pool[i]) {
			while (i--)
				node_free(xa, pool[i]);
			return -ENOMEM;
		}
	}

	if (!xa->head) {
		xa->head = take_node(pool, &used, need, top, NULL, 0);
		xa->shift = top;
	}
	while (xa->shift < top) {
		/* A new top node with the old tree in slot 0. */
		struct xa_node *old = xa->head;
		struct xa_node *new = take_node(pool, &used, need, xa->shift + XA_CHUNK_SHIFT,
						NULL, 0);

		new->slots[0] = old;
		new->count = 1;
		old->parent = new;
		old->offset = 0;
		xa->head = new;
		xa->shift = new->shift;
	}

	/* Descend, creating missing nodes. */
	node = xa->head;
	while (node->shift > 0) {
		struct xa_node *next;

		off = slot_of(index, node->shift);
		next = node->slots[off];
		if (!next) {
			next = take_node(pool, &used, need, node->shift - XA_CHUNK_SHIFT, node, off);
			node->slots[off] = next;
			node->count++;
		}
		node = next;
	}
	assert(used == need);

	off = slot_of(index, 0);
	if (!node->slots[off]) {
		node->count++;
		xa->count++;
	}
	node->slots[off] = entry;
	return 0;
}

/* Drop top levels that only use slot 0. */
static void shrink(struct xarray *xa)
{
	for (;;) {
		struct xa_node *top = xa->head;
		struct xa_node *child;

		if (top->shift == 0 || top->count != 1 || !top->slots[0])
			return;
		child = top->slots[0];
		child->parent = NULL;
		child->offset = 0;
		xa->head = child;
		xa->shift = child->shift;
		node_free(xa, top);
	}
}

void *xa_erase(struct xarray *xa, uint64_t index)
{
	struct xa_node *node = leaf_for(xa, index);
	unsigned int off = slot_of(index, 0);
	void *entry;

	if (!node || !node->slots[off])
		return NULL;
	entry = node->slots[off];
	node->slots[off] = NULL;
	node->count--;
	xa->count--;

	/* Free the nodes this emptied, bottom up. */
	while (node->count == 0) {
		struct xa_node *parent = node->parent;

		if (!parent) {
			node_free(xa, node);
			xa->head = NULL;
			xa->shift = 0;
			return entry;
		}
		parent->slots[node->offset] = NULL;
		parent->count--;
		node_free(xa, node);
		node = parent;
	}
	shrink(xa);
	return entry;
}

void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max)
{
	struct xa_node *node = xa->head;
	uint64_t i = *index;
	unsigned int off;

	if (!node || i > max || !covers(xa->shift, i))
		return NULL;

	/*
	 * Depth-first scan from @i.  Invariant: i <= max, and i is the
	 * first index not yet ruled out; off = slot of i in node.
	 */
	off = slot_of(i, node->shift);
	for (;;) {
		uint64_t step, next;
		void *slot;

		if (off == XA_CHUNK_SIZE) {
			/* Node exhausted; i already points just past it. */
			if (!node->parent)
				return NULL;
			off = node->offset + 1u;
			node = node->parent;
			continue;
		}
		slot = node->slots[off];
		if (slot) {
			if (node->shift == 0) {
				*index = i;
				return slot;
			}
			node = slot;
			off = slot_of(i, node->shift);
			continue;
		}
		/* Empty slot: skip to the first index of the next one. */
		step = (uint64_t)1 << node->shift;
		next = (i & ~(step - 1)) + step;
		if (next <= i || next > max)	/* wrapped past 2^64, or beyond max */
			return NULL;
		i = next;
		off++;
	}
}

void *xa_find_after(const struct xarray *xa, uint64_t *index, uint64_t max)
{
	uint64_t i;
	void *entry;

	if (*index >= max)
		return NULL;
	i = *index + 1;
	entry = xa_find(xa, &i, max);
	if (entry)
		*index = i;
	return entry;
}

static void free_subtree(struct xarray *xa, struct xa_node *node)
{
	if (node->shift > 0)
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			if (node->slots[i])
				free_subtree(xa, node->slots[i]);
	node_free(xa, node);
}

void xa_destroy(struct xarray *xa)
{
	if (xa->head)
		free_subtree(xa, xa->head);
	xa->head = NULL;
	xa->shift = 0;
	xa->count = 0;
}
