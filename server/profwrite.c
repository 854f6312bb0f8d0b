/*
 * profwrite.c: a profile as gzipped profile.proto (see profwrite.h).
 *
 * The messages are allocated in arrays (one per message type) and linked
 * by pointer arrays, as protobuf-c wants them; packed once, then deflated
 * into a gzip member.
 */
#include "profwrite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "work.h"

typedef Perftools__Profiles__Profile PbProfile;
typedef Perftools__Profiles__ValueType PbValueType;
typedef Perftools__Profiles__Sample PbSample;
typedef Perftools__Profiles__Label PbLabel;
typedef Perftools__Profiles__Mapping PbMapping;
typedef Perftools__Profiles__Location PbLocation;
typedef Perftools__Profiles__Line PbLine;
typedef Perftools__Profiles__Function PbFunction;

static int gzip_bytes(const uint8_t *in, size_t n, uint8_t **out, size_t *len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&zs, (uLong)n) + 64;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	int rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = cap - zs.avail_out;
	return 0;
}

int profwrite_gz(const struct prof *p, const struct profwrite_opts *o, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (p->n_samples > 0 && (size_t)p->n_samples * 8 > ((size_t)4 << 30))
		return -1;
	/* string 0 must be "": shift every index by one when it is not */
	uint32_t shift = prof_strlen(p, 0) == 0 && p->n_strs > 0 ? 0 : 1;
	uint32_t nt = o->types ? o->n_types : p->n_types;
	int rc = -1;

	char **strs = malloc(((size_t)p->n_strs + 1) * sizeof(*strs));
	PbValueType *vts = calloc((size_t)nt + 1, sizeof(*vts));
	PbValueType **vtp = calloc((size_t)nt + 1, sizeof(*vtp));
	PbFunction *fns = calloc((size_t)p->n_funcs + 1, sizeof(*fns));
	PbFunction **fnp = calloc((size_t)p->n_funcs + 1, sizeof(*fnp));
	PbLine *lines = calloc((size_t)p->n_loc_frames + 1, sizeof(*lines));
	PbLine **linep = calloc((size_t)p->n_loc_frames + 1, sizeof(*linep));
	PbLocation *locs = calloc((size_t)p->n_locs + 1, sizeof(*locs));
	PbLocation **locp = calloc((size_t)p->n_locs + 1, sizeof(*locp));
	uint32_t *map_of_file = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
	PbMapping *maps = calloc((size_t)p->n_locs + 1, sizeof(*maps));
	PbMapping **mapp = calloc((size_t)p->n_locs + 1, sizeof(*mapp));
	PbSample *samples = calloc((size_t)p->n_samples + 1, sizeof(*samples));
	PbSample **samplep = calloc((size_t)p->n_samples + 1, sizeof(*samplep));
	int64_t *values = calloc((size_t)p->n_samples * nt + 1, sizeof(*values));
	uint32_t *depth = calloc((size_t)p->n_nodes + 1, sizeof(*depth));
	uint64_t *locids = NULL;
	PbLabel *labels = NULL;
	PbLabel **labelp = NULL;
	uint8_t *packed = NULL;
	if (!strs || !vts || !vtp || !fns || !fnp || !lines || !linep || !locs || !locp || !map_of_file || !maps ||
	    !mapp || !samples || !samplep || !values || !depth)
		goto out;

	PbProfile pr = PERFTOOLS__PROFILES__PROFILE__INIT;
	static char empty[] = "";
	uint32_t ns = 0;
	if (shift)
		strs[ns++] = empty;
	for (uint32_t i = 0; i < p->n_strs; i++)
		strs[ns++] = (char *)prof_str(p, i);
	pr.n_string_table = ns;
	pr.string_table = strs;
#define S(id) ((id) == PROF_NONE ? 0 : (int64_t)(id) + shift)

	for (uint32_t i = 0; i < nt; i++) {
		uint32_t t = o->types ? o->types[i] : i;
		perftools__profiles__value_type__init(&vts[i]);
		vts[i].type = S(p->type_type[t]);
		vts[i].unit = S(p->type_unit[t]);
		vtp[i] = &vts[i];
		if (t == p->default_type)
			pr.default_sample_type = S(p->type_type[t]);
	}
	pr.n_sample_type = nt;
	pr.sample_type = vtp;
	PbValueType period = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	period.type = S(p->period_type);
	period.unit = S(p->period_unit);
	pr.period_type = &period;
	pr.period = p->period;
	pr.time_nanos = p->time_nanos;
	pr.duration_nanos = p->duration_nanos;

	for (uint32_t i = 0; i < p->n_funcs; i++) {
		perftools__profiles__function__init(&fns[i]);
		fns[i].id = (uint64_t)i + 1;
		fns[i].name = S(p->funcs[i].name);
		fns[i].system_name = S(p->funcs[i].sysname);
		fns[i].filename = S(p->funcs[i].file);
		fns[i].start_line = o->start_line ? o->start_line[i] : 0;
		fnp[i] = &fns[i];
	}
	pr.n_function = p->n_funcs;
	pr.function = fnp;

	for (uint32_t i = 0; i <= p->n_strs; i++)
		map_of_file[i] = 0;
	uint32_t nmaps = 0, nlines = 0;
	for (uint32_t i = 0; i < p->n_locs; i++) {
		const struct prof_loc *l = &p->locs[i];
		perftools__profiles__location__init(&locs[i]);
		locs[i].id = (uint64_t)i + 1;
		uint32_t mf = l->n ? p->frames[p->loc_frames[l->off]].map_file : PROF_NONE;
		if (mf != PROF_NONE && mf < p->n_strs) {
			if (!map_of_file[mf]) {
				PbMapping *m = &maps[nmaps];
				perftools__profiles__mapping__init(m);
				m->id = (uint64_t)nmaps + 1;
				m->filename = S(mf);
				m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = 1;
				mapp[nmaps] = m;
				map_of_file[mf] = ++nmaps;
			}
			locs[i].mapping_id = map_of_file[mf];
		}
		locs[i].line = linep + nlines;
		/* the model keeps frames outermost first; the proto innermost first */
		for (uint32_t k = l->n; k-- > 0;) {
			const struct prof_frame *f = &p->frames[p->loc_frames[l->off + k]];
			if (f->func == PROF_NONE)
				continue;
			perftools__profiles__line__init(&lines[nlines]);
			lines[nlines].function_id = (uint64_t)f->func + 1;
			lines[nlines].line = f->line;
			linep[nlines] = &lines[nlines];
			nlines++;
			locs[i].n_line++;
		}
		locp[i] = &locs[i];
	}
	pr.n_location = p->n_locs;
	pr.location = locp;
	pr.n_mapping = nmaps;
	pr.mapping = mapp;

	/* location ids of every sample, leaf first: the depth of each node first */
	size_t total_ids = 0, total_labels = 0;
	for (uint32_t i = 1; i < p->n_nodes; i++)
		depth[i] = depth[p->nodes[i].parent] + 1;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		uint32_t d = p->samples[i].node < p->n_nodes ? depth[p->samples[i].node] : 0;
		if (o->max_depth && o->max_depth[i] < d)
			d = o->max_depth[i];
		total_ids += d;
		if (!o->drop_labels && p->samples[i].labelset < p->n_labelsets)
			total_labels += p->labelsets[p->samples[i].labelset].n;
	}
	locids = malloc((total_ids + 1) * sizeof(*locids));
	labels = calloc(total_labels + 1, sizeof(*labels));
	labelp = calloc(total_labels + 1, sizeof(*labelp));
	if (!locids || !labels || !labelp)
		goto out;
	size_t used_ids = 0, used_labels = 0;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		if ((i & 4095) == 0 && work_poll() != WORK_OK)
			goto out;
		const struct prof_sample *s = &p->samples[i];
		PbSample *ps = &samples[i];
		perftools__profiles__sample__init(ps);
		uint32_t d = s->node < p->n_nodes ? depth[s->node] : 0;
		uint32_t keep = o->max_depth && o->max_depth[i] < d ? o->max_depth[i] : d;
		ps->location_id = locids + used_ids;
		uint32_t node = s->node < p->n_nodes ? s->node : 0;
		for (uint32_t k = 0; k < keep && node != 0; k++, node = p->nodes[node].parent)
			ps->location_id[ps->n_location_id++] = (uint64_t)p->nodes[node].loc + 1;
		used_ids += ps->n_location_id;
		ps->value = values + (size_t)i * nt;
		ps->n_value = nt;
		for (uint32_t t = 0; t < nt; t++) {
			int64_t v = p->values[(size_t)i * p->n_types + (o->types ? o->types[t] : t)];
			ps->value[t] = o->scale != 0 && o->scale != 1 ? llround((double)v * o->scale) : v;
		}
		if (!o->drop_labels && s->labelset < p->n_labelsets) {
			const struct prof_labelset *ls = &p->labelsets[s->labelset];
			ps->label = labelp + used_labels;
			for (uint32_t k = 0; k < ls->n; k++) {
				const struct prof_label *l = &p->labels[ls->off + k];
				PbLabel *pl = &labels[used_labels];
				perftools__profiles__label__init(pl);
				pl->key = S(l->key);
				if (l->str != PROF_NONE) {
					pl->str = S(l->str);
				} else {
					pl->num = l->num;
					pl->num_unit = S(l->unit);
				}
				labelp[used_labels++] = pl;
				ps->n_label++;
			}
		}
		samplep[i] = ps;
	}
	pr.n_sample = p->n_samples;
	pr.sample = samplep;
#undef S

	size_t plen = perftools__profiles__profile__get_packed_size(&pr);
	packed = malloc(plen ? plen : 1);
	if (!packed)
		goto out;
	perftools__profiles__profile__pack(&pr, packed);
	if (work_poll() != WORK_OK)
		goto out;
	rc = gzip_bytes(packed, plen, out, len);
out:
	free(strs);
	free(vts);
	free(vtp);
	free(fns);
	free(fnp);
	free(lines);
	free(linep);
	free(locs);
	free(locp);
	free(map_of_file);
	free(maps);
	free(mapp);
	free(samples);
	free(samplep);
	free(values);
	free(depth);
	free(locids);
	free(labels);
	free(labelp);
	free(packed);
	return rc;
}
