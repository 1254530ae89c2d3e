/* main.c: a deploy tool asks three regions for their health checks, merges the answers into one
 * stream, and prints a summary once every region has answered. */
#include <stdint.h>
#include <stdio.h>

#include "chan.h"
#include "check.h"
#include "merge.h"

#define NREGIONS 3
#define CHECKS_PER_REGION 4

/* One region's prober: sends its region's check results (region * 100 + check number), then
 * closes its channel to say that the region has answered in full. */
struct region {
	pthread_t thread;
	int id;
	struct chan *results;
};

static void *probe_main(void *arg)
{
	struct region *r = arg;

	for (int check = 1; check <= CHECKS_PER_REGION; check++)
		chan_send(r->results, (void *)(intptr_t)(r->id * 100 + check));
	chan_close(r->results);
	return NULL;
}

int main(void)
{
	struct region regions[NREGIONS];
	struct chan *inputs[NREGIONS];
	struct merge *m;
	struct chan *merged;
	int per_region[NREGIONS + 1] = { 0 };
	int total = 0;
	void *v;

	for (int i = 0; i < NREGIONS; i++) {
		regions[i].id = i + 1;
		regions[i].results = inputs[i] = chan_new(0);
		Pthread_create(&regions[i].thread, NULL, probe_main, &regions[i]);
	}
	m = merge_start(inputs, NREGIONS);
	merged = merge_output(m);

	/* for result := range merged { ... }: ends when merge closes the merged channel. */
	while (chan_recv(merged, &v) == CHAN_OK) {
		per_region[(intptr_t)v / 100]++;
		total++;
	}

	printf("health: %d checks from %d regions:", total, NREGIONS);
	for (int i = 1; i <= NREGIONS; i++)
		printf(" region %d: %d", i, per_region[i]);
	printf("\n");
	merge_free(m);
	for (int i = 0; i < NREGIONS; i++) {
		Pthread_join(regions[i].thread, NULL);
		chan_free(regions[i].results);
	}
	return 0;
}
