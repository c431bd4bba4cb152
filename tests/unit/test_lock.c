/*
 * tests/unit/test_lock.c - the lock layer: the documented order is the
 * one drawn at the top of mm/rmap.c, inversions and self-deadlocks are
 * reported, annotated nesting and trylocks are not.
 */
#include <stdio.h>
#include <string.h>

#include "tests/unit/mmtest.h"

/*
 * The picture in mm/rmap.c, between "Lock ordering in mm:" and the blank
 * line after the tree, lists one class per line, outermost first, each
 * indented deeper than the one before; its first word is the class name.
 */
TEST(lock_order_picture_matches_table)
{
	FILE *f = fopen("mm/rmap.c", "r");
	char line[256];
	int n = 0, prev_indent = -1;
	bool in = false;

	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int indent;

		if (strstr(line, "Lock ordering in mm:")) {
			in = true;
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, " *\n", 3) || !strcmp(line, " *\n")) {
			if (n)
				break;
			continue;
		}
		indent = (int)strspn(line + 2, " \t");
		T_ASSERT(sscanf(line + 2, "%63s", name) == 1);
		T_ASSERT(ex_lock_order[n]);
		T_STREQ(name, ex_lock_order[n]->name);
		T_GT(indent, prev_indent);
		T_EQ(ex_lock_order[n]->rank, n + 1);
		prev_indent = indent;
		n++;
	}
	fclose(f);
	T_ASSERT(in);
	T_ASSERT(n > 0);
	T_ASSERT(ex_lock_order[n] == NULL);
}

TEST(lock_inversion_is_reported)
{
	struct mmtest t;
	struct ex_lock a, b;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_i_mmap_rwsem);
	ex_lock_init(&b, &ex_class_anon_vma);
	/* anon_vma then i_mmap_rwsem: the wrong way round */
	MM_VIOLATION(&t, (ex_lock_acquire(&b, EX_EXCL, 0, "t"), ex_lock_acquire(&a, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_LOCK_ORDER);
	T_ASSERT(strstr(t.sink.first.message, "i_mmap_rwsem"));
	mmtest_end(&t);
}

TEST(lock_right_order_nesting_and_trylock_pass)
{
	struct mmtest t;
	struct ex_lock a, b, p1, p2;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_i_mmap_rwsem);
	ex_lock_init(&b, &ex_class_anon_vma);
	ex_lock_init(&p1, &ex_class_ptl);
	ex_lock_init(&p2, &ex_class_ptl);
	MM_VIOLATION(&t, ({
		ex_lock_acquire(&a, EX_EXCL, 0, "t");
		ex_lock_acquire(&b, EX_SHARED, 0, "t");
		ex_lock_acquire(&p1, EX_EXCL, 0, "t");
		ex_lock_acquire(&p2, EX_EXCL, 1, "t");	/* annotated nesting */
		ex_lock_release(&p2, EX_EXCL, "t");
		ex_lock_release(&p1, EX_EXCL, "t");
		T_ASSERT(ex_lock_tryacquire(&a, EX_SHARED, "t") == false);
		ex_lock_release(&b, EX_SHARED, "t");
		ex_lock_release(&a, EX_EXCL, "t");
		/* trylock against the order is no dependency */
		ex_lock_acquire(&p1, EX_EXCL, 0, "t");
		T_ASSERT(ex_lock_tryacquire(&a, EX_EXCL, "t"));
		ex_lock_release(&a, EX_EXCL, "t");
		ex_lock_release(&p1, EX_EXCL, "t");
	}), &kind);
	T_EQ(kind, EX_KIND_NONE);
	T_EQ(t.thread.nr_held, 0);
	mmtest_end(&t);
}

TEST(lock_same_class_without_annotation_is_reported)
{
	struct mmtest t;
	struct ex_lock p1, p2;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&p1, &ex_class_ptl);
	ex_lock_init(&p2, &ex_class_ptl);
	MM_VIOLATION(&t, (ex_lock_acquire(&p1, EX_EXCL, 0, "t"), ex_lock_acquire(&p2, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_LOCK_ORDER);
	mmtest_end(&t);
}

TEST(lock_self_deadlock_is_reported)
{
	struct mmtest t;
	struct ex_lock a;
	unsigned long word = 0;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_mmap_lock);
	MM_VIOLATION(&t, (ex_lock_acquire(&a, EX_SHARED, 0, "t"), ex_lock_acquire(&a, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_DEADLOCK);
	MM_VIOLATION(&t, (ex_bit_lock(&word, 0, &ex_class_folio_lock, 0, "t"),
			  ex_bit_wait(&word, 0, &ex_class_folio_lock, "t")), &kind);
	T_EQ(kind, EX_DEADLOCK);
	mmtest_end(&t);
}

TEST(lock_release_of_unheld_is_a_bug)
{
	struct mmtest t;
	struct ex_lock a;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_lru_lock);
	MM_VIOLATION(&t, ex_lock_release(&a, EX_EXCL, "t"), &kind);
	T_EQ(kind, EX_BUG);
	mmtest_end(&t);
}
