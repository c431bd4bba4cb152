/*
 * lib/rbtree.c - red-black tree rebalancing and traversal
 *
 * Red-black rules kept by every operation:
 *   1. every node is red or black; the root is black;
 *   2. a red node has no red child;
 *   3. every path from a node down to a missing child (NULL) passes the
 *      same number of black nodes (the node's black height).
 * Colour lives in bit 0 of rb_parent_color (0 red, 1 black); a new node
 * linked by rb_link_node() is red.
 *
 * The rebalancing code is written once for both mirror images: @side names
 * the side (0 left, 1 right) of the node being fixed, and child()/set_child()
 * pick the corresponding link.  Every rotation reports itself to the
 * augmentation callback; plain trees pass a callback that does nothing, so
 * plain and augmented trees run the same code (see rbtree_augmented.h).
 */
#include "lib/rbtree.h"
#include "lib/rbtree_augmented.h"

enum { LEFT = 0, RIGHT = 1 };

typedef void (*rotate_fn)(struct rb_node *old, struct rb_node *new);

static inline struct rb_node *child(const struct rb_node *node, int side)
{
	return side == RIGHT ? node->rb_right : node->rb_left;
}

static inline void set_child(struct rb_node *node, int side, struct rb_node *c)
{
	if (side == RIGHT)
		node->rb_right = c;
	else
		node->rb_left = c;
}

static inline void set_black(struct rb_node *node)
{
	node->rb_parent_color |= RB_BLACK;
}

static inline void set_red(struct rb_node *node)
{
	node->rb_parent_color &= ~1UL;
}

static inline void set_color(struct rb_node *node, unsigned long color)
{
	node->rb_parent_color = (node->rb_parent_color & ~1UL) | color;
}

static inline bool is_black_or_null(const struct rb_node *node)
{
	return !node || rb_is_black(node);
}

/*
 * Rotate @top down towards @side: its child on the other side ("up")
 * takes @top's place, @top becomes up's child on @side, and up's former
 * child on @side becomes @top's child on the other side.  In-order sequence
 * is unchanged.  Colours are left to the caller.  Returns up.
 */
static inline struct rb_node *rotate(struct rb_node *top, int side, struct rb_root *root,
				     rotate_fn augment_rotate)
{
	struct rb_node *up = child(top, !side);
	struct rb_node *moved = child(up, side);
	struct rb_node *parent = rb_parent(top);

	set_child(top, !side, moved);
	if (moved)
		rb_set_parent(moved, top);
	set_child(up, side, top);
	rb_set_parent(up, parent);
	rb_set_parent(top, up);
	rb_change_child(top, up, parent, root);
	augment_rotate(top, up);
	return up;
}

/*
 * Restore the rules after a red @node was linked in as a leaf.  The only
 * possible violation is a red node with a red parent (or a red root).
 */
static inline void insert_fixup(struct rb_node *node, struct rb_root *root,
				rotate_fn augment_rotate)
{
	for (;;) {
		struct rb_node *parent = rb_parent(node);
		struct rb_node *gparent, *uncle;
		int side;

		if (!parent) {
			set_black(node);	/* the root: blacken, every path gains one */
			return;
		}
		if (rb_is_black(parent))
			return;

		/* A red parent is not the root, so the grandparent exists (black). */
		gparent = rb_parent(parent);
		side = parent == gparent->rb_right ? RIGHT : LEFT;
		uncle = child(gparent, !side);

		if (uncle && rb_is_red(uncle)) {
			/*
			 * Red uncle: push the grandparent's blackness down to
			 * both its children; the grandparent turns red and may
			 * now conflict with its own parent.
			 */
			set_black(parent);
			set_black(uncle);
			set_red(gparent);
			node = gparent;
			continue;
		}

		if (node == child(parent, !side)) {
			/* Inner grandchild: rotate it outward so it is the outer one. */
			rotate(parent, side, root, augment_rotate);
			parent = node;
		}
		/*
		 * Outer grandchild of a black grandparent with a black uncle:
		 * lift the parent into the grandparent's place, parent black,
		 * grandparent red.  Black heights are unchanged; done.
		 */
		rotate(gparent, !side, root, augment_rotate);
		set_black(parent);
		set_red(gparent);
		return;
	}
}

/*
 * Restore the rules after erase removed a black node from below @parent:
 * the subtree on one side of @parent (possibly empty) has a black height
 * one less than its sibling's.
 */
static inline void erase_fixup(struct rb_node *parent, struct rb_root *root,
			       rotate_fn augment_rotate)
{
	struct rb_node *node = NULL;	/* root of the short subtree (black or NULL) */

	for (;;) {
		/*
		 * When @node is NULL, the short side is the one whose child
		 * is NULL: the other side has black height >= 1, so it is
		 * not empty.
		 */
		int side = node == parent->rb_right ? RIGHT : LEFT;
		struct rb_node *sibling = child(parent, !side);
		struct rb_node *outer, *inner;

		if (rb_is_red(sibling)) {
			/*
			 * Red sibling (so black parent): rotate it up and swap
			 * colours, giving the short side a black sibling.
			 */
			rotate(parent, side, root, augment_rotate);
			set_black(sibling);
			set_red(parent);
			sibling = child(parent, !side);
		}

		outer = child(sibling, !side);
		inner = child(sibling, side);
		if (is_black_or_null(outer) && is_black_or_null(inner)) {
			/*
			 * Black sibling with black children: redden it, so both
			 * sides of @parent are short.  A red parent turning
			 * black fixes that; otherwise the deficit moves up.
			 */
			set_red(sibling);
			if (rb_is_red(parent)) {
				set_black(parent);
				return;
			}
			node = parent;
			parent = rb_parent(node);
			if (!parent)
				return;	/* the whole tree got shorter: fine */
			continue;
		}

		if (is_black_or_null(outer)) {
			/* Only the inner nephew is red: rotate it into the sibling's place. */
			rotate(sibling, !side, root, augment_rotate);
			set_black(inner);
			set_red(sibling);
			outer = sibling;
			sibling = inner;
		}

		/*
		 * The outer nephew is red: rotate the sibling up into the
		 * parent's place and colour, parent and outer nephew black.
		 * The short side gains a black node; the other keeps its height.
		 */
		{
			unsigned long color = rb_color(parent);

			rotate(parent, side, root, augment_rotate);
			set_color(sibling, color);
			set_black(parent);
			set_black(outer);
		}
		return;
	}
}

static void dummy_rotate(struct rb_node *old, struct rb_node *new)
{
	(void)old;
	(void)new;
}

static void dummy_propagate(struct rb_node *node, struct rb_node *stop)
{
	(void)node;
	(void)stop;
}

static void dummy_copy(struct rb_node *old, struct rb_node *new)
{
	(void)old;
	(void)new;
}

static const struct rb_augment_callbacks dummy_callbacks = {
	.propagate = dummy_propagate,
	.copy = dummy_copy,
	.rotate = dummy_rotate,
};

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	insert_fixup(node, root, dummy_rotate);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *rebalance = rb_erase_augmented_core(node, root, NULL, &dummy_callbacks);

	if (rebalance)
		erase_fixup(rebalance, root, dummy_rotate);
}

void rb_insert_color_augmented(struct rb_node *node, struct rb_root *root,
			       void (*augment_rotate)(struct rb_node *old, struct rb_node *new))
{
	insert_fixup(node, root, augment_rotate);
}

void rb_erase_color_augmented(struct rb_node *parent, struct rb_root *root,
			      void (*augment_rotate)(struct rb_node *old, struct rb_node *new))
{
	erase_fixup(parent, root, augment_rotate);
}

/* ---- traversal ---- */

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *node = root->rb_node;

	if (!node)
		return NULL;
	while (node->rb_left)
		node = node->rb_left;
	return node;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *node = root->rb_node;

	if (!node)
		return NULL;
	while (node->rb_right)
		node = node->rb_right;
	return node;
}

/* In-order neighbour on @side: the extreme node of that subtree, or the
 * first ancestor reached from the other side. */
static struct rb_node *neighbour(const struct rb_node *node, int side)
{
	struct rb_node *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (child(node, side)) {
		struct rb_node *n = child(node, side);

		while (child(n, !side))
			n = child(n, !side);
		return n;
	}
	while ((parent = rb_parent(node)) && node == child(parent, side))
		node = parent;
	return parent;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	return neighbour(node, RIGHT);
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	return neighbour(node, LEFT);
}

/* Post-order: children before their parent, so a tree can be freed while walked. */
static struct rb_node *deepest_first(const struct rb_node *node)
{
	for (;;) {
		if (node->rb_left)
			node = node->rb_left;
		else if (node->rb_right)
			node = node->rb_right;
		else
			return (struct rb_node *)node;
	}
}

struct rb_node *rb_first_postorder(const struct rb_root *root)
{
	return root->rb_node ? deepest_first(root->rb_node) : NULL;
}

struct rb_node *rb_next_postorder(const struct rb_node *node)
{
	struct rb_node *parent;

	if (!node)
		return NULL;
	parent = rb_parent(node);
	/* From a left child, the parent's right subtree comes next. */
	if (parent && node == parent->rb_left && parent->rb_right)
		return deepest_first(parent->rb_right);
	return parent;
}

/* ---- replacement ---- */

void rb_replace_node(struct rb_node *victim, struct rb_node *new, struct rb_root *root)
{
	struct rb_node *parent = rb_parent(victim);

	*new = *victim;		/* parent, colour and children */
	if (victim->rb_left)
		rb_set_parent(victim->rb_left, new);
	if (victim->rb_right)
		rb_set_parent(victim->rb_right, new);
	rb_change_child(victim, new, parent, root);
}

void rb_replace_node_cached(struct rb_node *victim, struct rb_node *new,
			    struct rb_root_cached *root)
{
	if (root->rb_leftmost == victim)
		root->rb_leftmost = new;
	rb_replace_node(victim, new, &root->rb_root);
}
