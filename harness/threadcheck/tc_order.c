/* tc_order.c: lock-order analysis: a graph of "B was taken while A was held" edges, filled as
 * the program runs, and at exit the cycles in it that could deadlock in another interleaving
 * (FORMAT.md `lock-order` records and a lockdep-like block on stderr). */
#include "tc_order.h"
#include "tc_symbolize.h"
#include "tc_util.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TC__EDGES 4096              /* edges kept (a power of two: the hash mask) */
#define TC__CACHE 64                /* per-thread direct-mapped cache of edges already noted */
#define TC__MAX_CYCLE 8             /* longest cycle looked for */
#define TC__MAX_CYCLES 16           /* cycles reported */
#define TC__DFS_BUDGET 2000000L     /* steps of the cycle search before it gives up */

/* One thread's taking of an edge: it held FROM (taken at from_site) and took TO at to_site. */
struct tc__take {
	int label;
	pid_t tid;
	char name[TC__NAME_LEN + 1];
	void *start_fn, *create_site;
	void *from_site, *to_site;
	int from_mode, to_mode;
};

/* Edge FROM -> TO. state: 0 empty, 1 being keyed, 2 keyed (from/to final). Everything below
 * `busy` is guarded by it. An edge is never removed (open addressing): a destroyed lock's
 * edges are marked dead and come back to life, blank, if the address is used again. */
struct tc__edge {
	_Atomic int state;
	_Atomic uintptr_t from, to;
	atomic_flag busy;
	int dead;
	int ntake;                   /* 0..2: the first two threads that took it */
	struct tc__take take[2];
	int ngate;                   /* locks held exclusively at every taking (besides FROM) */
	uintptr_t gate[TC__MAX_HELD];
	int from_excl, to_excl;      /* FROM was ever held / TO ever taken exclusively */
};

static struct tc__edge tc__edges[TC__EDGES];
static _Atomic int tc__edges_lost;          /* edges not kept: the table was full */
/* Slots ever keyed: while none is, the exit analysis and a fork need not walk the table
 * (which would fault in its megabytes of untouched pages, milliseconds at every exit). */
static _Atomic int tc__edges_keyed;
static _Atomic uint64_t tc__seen[TC__EDGES / 64]; /* addresses (hashed) that are in an edge */
static _Atomic unsigned tc__epoch;          /* bumped when edges die: flushes the caches */

static __thread uint64_t tc__cache[TC__CACHE] __attribute__((tls_model("initial-exec")));
static __thread unsigned tc__cache_epoch __attribute__((tls_model("initial-exec")));

static uint64_t tc__mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static int tc__excl(int mode)
{
	return mode != TC__HOLD_RD;
}

/* The edge FROM -> TO, created when it is new. NULL when the table is full. */
static struct tc__edge *tc__edge_get(uintptr_t from, uintptr_t to)
{
	size_t h = (size_t)tc__mix(from ^ (to << 17 | to >> 47) ^ to);

	for (size_t k = 0; k < TC__EDGES; k++) {
		struct tc__edge *e = &tc__edges[(h + k) & (TC__EDGES - 1)];
		int st = atomic_load_explicit(&e->state, memory_order_acquire);

		if (st == 0) {
			int zero = 0;

			if (atomic_compare_exchange_strong(&e->state, &zero, 1)) {
				atomic_store_explicit(&e->from, from, memory_order_relaxed);
				atomic_store_explicit(&e->to, to, memory_order_relaxed);
				atomic_store_explicit(&e->state, 2, memory_order_release);
				atomic_fetch_add_explicit(&tc__edges_keyed, 1, memory_order_release);
				return e;
			}
			st = zero;
		}
		/* Keying takes two stores: wait for them rather than skip a slot that may be ours. */
		while (st == 1) {
			tc__cpu_yield();
			st = atomic_load_explicit(&e->state, memory_order_acquire);
		}
		if (atomic_load_explicit(&e->from, memory_order_relaxed) == from &&
		    atomic_load_explicit(&e->to, memory_order_relaxed) == to)
			return e;
	}
	return NULL;
}

/* Marks address A as being in some edge (see tc__order_forget). */
static void tc__seen_set(uintptr_t a)
{
	uint64_t h = tc__mix(a) & (TC__EDGES - 1);

	atomic_fetch_or_explicit(&tc__seen[h / 64], 1ULL << (h % 64), memory_order_relaxed);
}

/* Keeps in E the intersection of its gate set with GATE[0..ngate): the locks held
 * exclusively at every taking (the first taking sets it). Called with E busy. */
static void tc__gate_meet(struct tc__edge *e, const uintptr_t *gate, int ngate)
{
	int w = 0;

	if (e->ntake == 0) {
		e->ngate = ngate;
		memcpy(e->gate, gate, sizeof gate[0] * (size_t)ngate);
		return;
	}
	for (int i = 0; i < e->ngate; i++)
		for (int j = 0; j < ngate; j++)
			if (e->gate[i] == gate[j]) {
				e->gate[w++] = e->gate[i];
				break;
			}
	e->ngate = w;
}

/* Fills taking T: ME held its lock K (in FROM_MODE) and took the edge's TO in TO_MODE at
 * TO_SITE. */
static void tc__take_fill(struct tc__take *t, struct tc__thread *me, int k, int from_mode,
			  int to_mode, void *to_site)
{
	int i;

	t->label = me->label;
	t->tid = atomic_load_explicit(&me->tid, memory_order_relaxed);
	for (i = 0; i < TC__NAME_LEN; i++) {
		t->name[i] = atomic_load_explicit(&me->name[i], memory_order_relaxed);
		if (t->name[i] == '\0')
			break;
	}
	t->name[i < TC__NAME_LEN ? i : TC__NAME_LEN] = '\0';
	t->start_fn = me->start_fn;
	t->create_site = me->create_site;
	t->from_site = (void *)atomic_load_explicit(&me->held[k].site, memory_order_relaxed);
	t->to_site = to_site;
	t->from_mode = from_mode;
	t->to_mode = to_mode;
}

/* Records that ME took TO (in TO_MODE at TO_SITE) while holding held[K] of its N locks.
 * Slow path: the caller's cache missed. */
static void tc__edge_note(struct tc__thread *me, int k, int n, uintptr_t to, int to_mode,
			  void *to_site)
{
	uintptr_t from = atomic_load_explicit(&me->held[k].obj, memory_order_relaxed);
	int from_mode = atomic_load_explicit(&me->held[k].mode, memory_order_relaxed);
	uintptr_t gate[TC__MAX_HELD];
	int ngate = 0;
	struct tc__edge *e = tc__edge_get(from, to);

	if (e == NULL) {
		atomic_fetch_add_explicit(&tc__edges_lost, 1, memory_order_relaxed);
		return;
	}
	tc__seen_set(from);
	tc__seen_set(to);
	/* A lock held for reading does not keep other readers out, so it is no gate. */
	for (int i = 0; i < n; i++)
		if (i != k && tc__excl(atomic_load_explicit(&me->held[i].mode, memory_order_relaxed)))
			gate[ngate++] = atomic_load_explicit(&me->held[i].obj, memory_order_relaxed);
	tc__spin_lock(&e->busy);
	if (e->dead) {
		e->dead = 0;
		e->ntake = 0;
		e->from_excl = e->to_excl = 0;
	}
	tc__gate_meet(e, gate, ngate);
	if (e->ntake < 2 && (e->ntake == 0 || e->take[0].label != me->label))
		tc__take_fill(&e->take[e->ntake++], me, k, from_mode, to_mode, to_site);
	e->from_excl |= tc__excl(from_mode);
	e->to_excl |= tc__excl(to_mode);
	tc__spin_unlock(&e->busy);
}

/* A cheap 64-bit hash of an address for the per-thread cache keys (one multiply; the table
 * itself uses tc__mix). */
static uint64_t tc__h(uintptr_t a, uint64_t k)
{
	uint64_t x = (uint64_t)a * k;

	return x ^ (x >> 29);
}

void tc__order_acquire(struct tc__thread *me, const void *obj, int mode, void *site)
{
	int n = atomic_load_explicit(&me->nheld, memory_order_relaxed);
	unsigned ep = atomic_load_explicit(&tc__epoch, memory_order_relaxed);
	uint64_t all = 0, hto = tc__h((uintptr_t)obj, 0x9e3779b97f4a7c15ULL) + (uint64_t)mode;
	uint64_t hg[TC__MAX_HELD];

	if (n > TC__MAX_HELD)
		n = TC__MAX_HELD;
	if (ep != tc__cache_epoch) {
		memset(tc__cache, 0, sizeof tc__cache);
		tc__cache_epoch = ep;
	}
	for (int k = 0; k < n; k++) {
		hg[k] = tc__h(atomic_load_explicit(&me->held[k].obj, memory_order_relaxed),
			      0xc2b2ae3d27d4eb4fULL);
		if (tc__excl(atomic_load_explicit(&me->held[k].mode, memory_order_relaxed)))
			all ^= hg[k];
	}
	for (int k = 0; k < n; k++) {
		uintptr_t from = atomic_load_explicit(&me->held[k].obj, memory_order_relaxed);
		int fm = atomic_load_explicit(&me->held[k].mode, memory_order_relaxed);
		uint64_t key;

		/* The key covers the edge, both modes and the set of other exclusive holds (the
		 * gate candidates): a taking under a new set must reach the table. */
		key = tc__h(from, 0x165667b19e3779f9ULL) * 8 + (uint64_t)fm;
		key ^= hto ^ ((all ^ (tc__excl(fm) ? hg[k] : 0)) * 0xff51afd7ed558ccdULL);
		key |= 1;
		if (tc__cache[(key >> 7) % TC__CACHE] == key)
			continue;
		tc__cache[(key >> 7) % TC__CACHE] = key;
		tc__edge_note(me, k, n, (uintptr_t)obj, mode, site);
	}
}

void tc__order_forget(const void *obj)
{
	uint64_t h = tc__mix((uintptr_t)obj) & (TC__EDGES - 1);
	int any = 0;

	if (!(atomic_load_explicit(&tc__seen[h / 64], memory_order_relaxed) & (1ULL << (h % 64))))
		return;
	for (size_t i = 0; i < TC__EDGES; i++) {
		struct tc__edge *e = &tc__edges[i];

		if (atomic_load_explicit(&e->state, memory_order_acquire) != 2)
			continue;
		if (atomic_load_explicit(&e->from, memory_order_relaxed) != (uintptr_t)obj &&
		    atomic_load_explicit(&e->to, memory_order_relaxed) != (uintptr_t)obj)
			continue;
		tc__spin_lock(&e->busy);
		e->dead = 1;
		tc__spin_unlock(&e->busy);
		any = 1;
	}
	if (any)
		atomic_fetch_add_explicit(&tc__epoch, 1, memory_order_relaxed);
}

void tc__order_atfork_child(void)
{
	/* The parent reports its own edges; the child starts afresh. Only keyed slots are
	 * touched, so untouched pages stay shared; none at all when no edge was ever kept. */
	size_t n = atomic_load(&tc__edges_keyed) > 0 ? TC__EDGES : 0;

	for (size_t i = 0; i < n; i++) {
		struct tc__edge *e = &tc__edges[i];

		if (atomic_load_explicit(&e->state, memory_order_relaxed) != 0) {
			atomic_flag_clear(&e->busy);
			e->dead = 1;
		}
	}
	atomic_fetch_add(&tc__epoch, 1);
}

/* ---- the analysis at exit ---------------------------------------------------------- */

/* A snapshot of one live edge, between node indices. */
struct tc__sedge {
	uintptr_t from, to;
	int u, v;
	int ntake;
	struct tc__take take[2];
	int ngate;
	uintptr_t gate[TC__MAX_HELD];
	int from_excl, to_excl;
};

/* A cycle to report: edges in order (each one's TO is the next one's FROM) and, for each,
 * which of its takings is shown. */
struct tc__cycle {
	int n;
	int edge[TC__MAX_CYCLE];
	int pick[TC__MAX_CYCLE];
	struct tc__sym sym[TC__MAX_CYCLE][4]; /* from_site, to_site, start, created */
	/* Its report: one thread block per edge (holds FROM, acquired TO). */
	struct tc__rep_line line[2 * TC__MAX_CYCLE];
	struct tc__rep_thread thread[TC__MAX_CYCLE];
	char message[1024];
	char detail[16384];
	struct tc__rep rep;
};

static struct tc__sedge tc__se[TC__EDGES];
static uintptr_t tc__node[2 * TC__EDGES];
static int tc__first[2 * TC__EDGES + 1];    /* CSR: out-edges of node u are order[first[u]..] */
static int tc__order_ix[TC__EDGES];
static struct tc__cycle tc__cyc[TC__MAX_CYCLES];
static int tc__ncyc, tc__more;

static int tc__cmp_addr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static int tc__node_of(uintptr_t a, int nn)
{
	int lo = 0, hi = nn - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (tc__node[mid] == a)
			return mid;
		if (tc__node[mid] < a)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	tc__assert_fail(__FILE__, __LINE__, "edge end missing from the node list");
}

static int tc__cmp_edge_u(const void *a, const void *b)
{
	const struct tc__sedge *x = &tc__se[*(const int *)a], *y = &tc__se[*(const int *)b];

	return x->u != y->u ? (x->u < y->u ? -1 : 1) : (x->v < y->v ? -1 : x->v > y->v);
}

/* Copies the live edges into tc__se. Returns how many. */
static int tc__order_snapshot(void)
{
	int ne = 0;

	if (atomic_load_explicit(&tc__edges_keyed, memory_order_acquire) == 0)
		return 0;
	for (size_t i = 0; i < TC__EDGES; i++) {
		struct tc__edge *e = &tc__edges[i];
		struct tc__sedge *s = &tc__se[ne];

		if (atomic_load_explicit(&e->state, memory_order_acquire) != 2)
			continue;
		if (tc__spin_try(&e->busy) != 0)
			continue;
		if (!e->dead && e->ntake > 0) {
			s->from = atomic_load_explicit(&e->from, memory_order_relaxed);
			s->to = atomic_load_explicit(&e->to, memory_order_relaxed);
			s->ntake = e->ntake;
			memcpy(s->take, e->take, sizeof s->take);
			s->ngate = e->ngate;
			memcpy(s->gate, e->gate, sizeof s->gate);
			s->from_excl = e->from_excl;
			s->to_excl = e->to_excl;
			ne++;
		}
		tc__spin_unlock(&e->busy);
	}
	return ne;
}

/* Whether one lock other than the cycle's own was held exclusively at every taking of every
 * edge of the cycle EDGE[0..n) (a gate: the threads are serialised by it). */
static int tc__cycle_gated(const int *edge, int n)
{
	const struct tc__sedge *first = &tc__se[edge[0]];

	for (int g = 0; g < first->ngate; g++) {
		uintptr_t lock = first->gate[g];
		int everywhere = 1;

		for (int i = 0; i < n && everywhere; i++)
			everywhere = tc__se[edge[i]].from != lock;
		for (int i = 1; i < n && everywhere; i++) {
			const struct tc__sedge *s = &tc__se[edge[i]];
			int has = 0;

			for (int j = 0; j < s->ngate && !has; j++)
				has = s->gate[j] == lock;
			everywhere = has;
		}
		if (everywhere)
			return 1;
	}
	return 0;
}

/* How many distinct threads the takings MASK picks (bit i: edge i's second taking) show,
 * or -1 when an edge has no such taking. */
static int tc__pick_threads(const int *edge, int n, unsigned mask)
{
	int labels[TC__MAX_CYCLE], distinct = 0;

	for (int i = 0; i < n; i++) {
		int c = (mask >> i) & 1, seen = 0;

		if (c >= tc__se[edge[i]].ntake)
			return -1;
		int l = tc__se[edge[i]].take[c].label;

		for (int j = 0; j < distinct; j++)
			seen |= labels[j] == l;
		if (!seen)
			labels[distinct++] = l;
	}
	return distinct;
}

/* Whether the cycle of N edges (indices into tc__se) could deadlock; on success fills PICK
 * with the taking shown for each edge. Silent when (1) some lock in it cannot block the
 * next thread (held for reading and wanted for reading), (2) a gate serialises it
 * (tc__cycle_gated), or (3) one thread took every edge. */
static int tc__cycle_ok(const int *edge, int n, int *pick)
{
	int best = 0;

	for (int i = 0; i < n; i++) {
		const struct tc__sedge *in = &tc__se[edge[i]], *out = &tc__se[edge[(i + 1) % n]];

		if (!in->to_excl && !out->from_excl)
			return 0;
	}
	if (tc__cycle_gated(edge, n))
		return 0;
	/* Each edge offers one or two takings: show the choice with the most distinct threads. */
	for (unsigned mask = 0; mask < 1u << n; mask++) {
		int distinct = tc__pick_threads(edge, n, mask);

		if (distinct > best) {
			best = distinct;
			for (int i = 0; i < n; i++)
				pick[i] = (mask >> i) & 1;
		}
	}
	return best >= 2;
}

/* Keeps the cycle PATH[0..n) if it could deadlock (counts it in tc__more past the limit). */
static void tc__cycle_found(const int *path, int n)
{
	int pick[TC__MAX_CYCLE];

	if (!tc__cycle_ok(path, n, pick))
		return;
	if (tc__ncyc == TC__MAX_CYCLES) {
		tc__more++;
		return;
	}
	struct tc__cycle *c = &tc__cyc[tc__ncyc++];
	int r = 0;

	/* Starts at the earliest thread: T1's chain reads before T2's. */
	for (int i = 1; i < n; i++)
		if (tc__se[path[i]].take[pick[i]].label < tc__se[path[r]].take[pick[r]].label)
			r = i;
	c->n = n;
	for (int i = 0; i < n; i++) {
		c->edge[i] = path[(i + r) % n];
		c->pick[i] = pick[(i + r) % n];
	}
}

/* Enumerates the elementary cycles of at most TC__MAX_CYCLE edges, each once (from its
 * lowest node, visiting only higher ones), depth-first without recursion. */
static void tc__find_cycles(int nn)
{
	static int path[TC__MAX_CYCLE], it[TC__MAX_CYCLE + 1], onpath[2 * TC__EDGES];
	long budget = TC__DFS_BUDGET;

	memset(onpath, 0, sizeof onpath[0] * (size_t)nn);
	for (int s = 0; s < nn && budget > 0; s++) {
		int depth = 0, u = s;

		it[0] = tc__first[s];
		onpath[s] = 1;
		while (depth >= 0 && budget-- > 0) {
			u = depth == 0 ? s : tc__se[path[depth - 1]].v;
			if (it[depth] == tc__first[u + 1]) {
				onpath[u] = 0;
				depth--;
				continue;
			}
			int ei = tc__order_ix[it[depth]++];
			int v = tc__se[ei].v;

			if (v == s) {
				path[depth] = ei;
				tc__cycle_found(path, depth + 1);
			} else if (v > s && !onpath[v] && depth + 1 < TC__MAX_CYCLE) {
				path[depth] = ei;
				onpath[v] = 1;
				it[++depth] = tc__first[v];
			}
		}
	}
}

/* Sorts tc__cyc shortest first (insertion sort: few cycles). */
static void tc__sort_cycles(void)
{
	for (int i = 1; i < tc__ncyc; i++) {
		struct tc__cycle tmp = tc__cyc[i];
		int j = i;

		for (; j > 0 && tc__cyc[j - 1].n > tmp.n; j--)
			tc__cyc[j] = tc__cyc[j - 1];
		tc__cyc[j] = tmp;
	}
}

/* Builds the graph of the NE snapshot edges: the sorted distinct lock addresses (nodes),
 * each edge's node indices, and the edges grouped by their first node (tc__first). Returns
 * the node count. */
static int tc__order_graph(int ne)
{
	int nn = 0, w = 0;

	for (int i = 0; i < ne; i++) {
		tc__node[nn++] = tc__se[i].from;
		tc__node[nn++] = tc__se[i].to;
	}
	qsort(tc__node, (size_t)nn, sizeof tc__node[0], tc__cmp_addr);
	for (int i = 0; i < nn; i++)
		if (w == 0 || tc__node[w - 1] != tc__node[i])
			tc__node[w++] = tc__node[i];
	nn = w;
	for (int i = 0; i < ne; i++) {
		tc__se[i].u = tc__node_of(tc__se[i].from, nn);
		tc__se[i].v = tc__node_of(tc__se[i].to, nn);
		tc__order_ix[i] = i;
	}
	qsort(tc__order_ix, (size_t)ne, sizeof tc__order_ix[0], tc__cmp_edge_u);
	for (int u = 0, k = 0; u <= nn; u++) {
		while (k < ne && tc__se[tc__order_ix[k]].u < u)
			k++;
		tc__first[u] = k;
	}
	return nn;
}

/* Symbolises the four addresses of every edge of every cycle found. */
static void tc__symbolize_cycles(void)
{
	static void *addrs[TC__MAX_CYCLES * TC__MAX_CYCLE * 4];
	static struct tc__sym syms[TC__MAX_CYCLES * TC__MAX_CYCLE * 4];
	int na = 0;

	for (int c = 0; c < tc__ncyc; c++)
		for (int i = 0; i < tc__cyc[c].n; i++) {
			const struct tc__take *t = &tc__se[tc__cyc[c].edge[i]].take[tc__cyc[c].pick[i]];

			/* Sites are return addresses; a start routine is its first instruction. */
			addrs[na++] = tc__call_addr(t->from_site);
			addrs[na++] = tc__call_addr(t->to_site);
			addrs[na++] = t->start_fn;
			addrs[na++] = tc__call_addr(t->create_site);
		}
	if (na > 0)
		tc__symbolize(addrs, syms, (size_t)na);
	na = 0;
	for (int c = 0; c < tc__ncyc; c++)
		for (int i = 0; i < tc__cyc[c].n; i++)
			for (int k = 0; k < 4; k++)
				tc__cyc[c].sym[i][k] = syms[na++];
}

static void tc__cycle_describe(struct tc__cycle *c);

int tc__order_analyze(void)
{
	int ne = tc__order_snapshot();

	tc__ncyc = tc__more = 0;
	if (ne == 0)
		return 0;
	tc__find_cycles(tc__order_graph(ne));
	tc__sort_cycles();
	tc__symbolize_cycles();
	for (int c = 0; c < tc__ncyc; c++)
		tc__cycle_describe(&tc__cyc[c]);
	return tc__ncyc;
}

/* The one-line message of cycle C, into C->message. */
static void tc__cycle_message(struct tc__cycle *c)
{
	struct tc__buf b = { c->message, 0, sizeof c->message };

	tc__bprintf(&b, "cycle of %d locks: ", c->n);
	for (int i = 0; i < c->n; i++) {
		const struct tc__sedge *e = &tc__se[c->edge[i]];
		const struct tc__take *t = &e->take[c->pick[i]];

		tc__bprintf(&b, "%sT%d took %s %p while holding %p", i > 0 ? ", " : "", t->label,
			    tc__hold_obj(t->to_mode), (void *)e->to, (void *)e->from);
	}
	tc__bprintf(&b, "; no deadlock this run, but these threads can deadlock in another order");
}

/* The scenario table of cycle C into B: what each thread held, then what it took. */
static void tc__cycle_scenario(struct tc__buf *b, const struct tc__cycle *c)
{
	int labels[TC__MAX_CYCLE];
	char cell[64];

	for (int i = 0; i < c->n; i++)
		labels[i] = tc__se[c->edge[i]].take[c->pick[i]].label;
	tc__scenario_head(b, labels, c->n);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < c->n; i++) {
			const struct tc__take *t = &tc__se[c->edge[i]].take[c->pick[i]];
			struct tc__buf cb = { cell, 0, sizeof cell };

			if (pass == 0)
				tc__bprintf(&cb, "%s(%c);", tc__hold_call(t->from_mode), 'A' + i);
			else
				tc__bprintf(&cb, "%s(%c);", tc__hold_call(t->to_mode),
					    'A' + (i + 1) % c->n);
			tc__scenario_cell(b, i, cell);
		}
	tc__bprintf(b, "\n");
	for (int i = 0; i < c->n; i++) {
		const struct tc__sedge *e = &tc__se[c->edge[i]];

		tc__scenario_legend(b, (char)('A' + i), tc__hold_obj(e->take[c->pick[i]].from_mode),
				    (void *)e->from);
	}
	tc__scenario_end(b);
}

/* The readable lines of cycle C after its message, into C->detail: each thread's chain,
 * then lockdep's scenario. */
static void tc__cycle_detail(struct tc__cycle *c)
{
	struct tc__buf b = { c->detail, 0, sizeof c->detail };

	for (int i = 0; i < c->n; i++) {
		const struct tc__sedge *e = &tc__se[c->edge[i]];
		const struct tc__take *t = &e->take[c->pick[i]];
		const struct tc__sym *s = c->sym[i];

		tc__bprintf(&b, "\n  Thread T%d (tid=%d)", t->label, (int)t->tid);
		if (t->label == 0)
			tc__bprintf(&b, " is the main thread\n");
		else
			tc__bprintf(&b, " runs %s, created at %s %s\n", s[2].function,
				    s[3].function, s[3].fileline);
		tc__bprintf(&b, "    holds %s %p (%c), taken at %s %s\n", tc__hold_obj(t->from_mode),
			    (void *)e->from, 'A' + i, s[0].function, s[0].fileline);
		tc__bprintf(&b, "    then took %s %p (%c) at %s %s\n", tc__hold_obj(t->to_mode),
			    (void *)e->to, 'A' + (i + 1) % c->n, s[1].function, s[1].fileline);
	}
	tc__cycle_scenario(&b, c);
}

/* Describes cycle C as a report: per edge, its thread, the lock it held and where it took
 * it, the lock it then took and where. */
static void tc__cycle_describe(struct tc__cycle *c)
{
	for (int i = 0; i < c->n; i++) {
		const struct tc__sedge *e = &tc__se[c->edge[i]];
		const struct tc__take *t = &e->take[c->pick[i]];
		const struct tc__sym *s = c->sym[i];

		c->line[2 * i] = (struct tc__rep_line){ TC__LINE_HOLDS, NULL, (void *)e->from, &s[0] };
		c->line[2 * i + 1] =
			(struct tc__rep_line){ TC__LINE_ACQUIRED, NULL, (void *)e->to, &s[1] };
		c->thread[i] = (struct tc__rep_thread){ t->label, t->tid,
							t->name[0] != '\0' ? t->name : "-",
							t->label != 0 ? &s[2] : NULL, &s[3], 2,
							&c->line[2 * i] };
	}
	tc__cycle_message(c);
	tc__cycle_detail(c);
	c->rep = (struct tc__rep){ .kind = "lock-order", .nthread = c->n, .thread = c->thread,
				   .message = c->message,
				   .title = "lock-order inversion (potential deadlock)",
				   .detail = c->detail, .summary_kind = "lock-order-inversion",
				   .summary_at = &c->sym[0][1] };
}

size_t tc__order_reps(const struct tc__rep **out, size_t max)
{
	size_t n = 0;

	for (int c = 0; c < tc__ncyc && n < max; c++)
		out[n++] = &tc__cyc[c].rep;
	return n;
}

void tc__order_notes(void)
{
	char text[256];
	struct tc__buf b = { text, 0, sizeof text };

	if (tc__more > 0)
		tc__bprintf(&b, "threadcheck: %d more lock-order cycles not shown\n", tc__more);
	if (atomic_load(&tc__edges_lost) > 0)
		tc__bprintf(&b, "threadcheck: the lock-order graph was full; %d lock-order edges "
				"were not recorded\n", atomic_load(&tc__edges_lost));
	tc__buf_flush(&b, 2);
}
