// sampletypes.js: a profile's sample types as the pages name and pick them.
// A type is named in the URL and the select by its type name when that is
// unique in the profile, else by its index ("0", "1", …), as the API takes
// it. With nothing in the URL a page shows the profile's default sample
// type, else the last one (pprof's choice). Pure: no DOM.

/** The select / URL value of types[i]: its name when unique, else its index. */
export function typeValue(types, i) {
  const t = types[i].type;
  return t && types.filter((x) => x.type === t).length === 1 ? t : String(i);
}

/** The option text of a type: "cpu (nanoseconds)". */
export function typeLabel(t) {
  return `${t.type || '(unnamed)'} (${t.unit || 'count'})`;
}

/**
 * The value in force: `wanted` (the URL's sample_type) when set, else the
 * profile's default_sample_type when it has that type, else the last type.
 * @param {{sample_types?: {type:string, unit:string}[], default_sample_type?: string}} meta
 */
export function selectedType(meta, wanted) {
  if (wanted !== '') return wanted;
  const types = meta.sample_types || [];
  const def = meta.default_sample_type;
  if (def && types.some((t) => t.type === def)) return def;
  return types.length ? typeValue(types, types.length - 1) : '';
}

/** The unit of the type named `value` (see typeValue), or '' when none is. */
export function typeUnit(types, value) {
  const t = (types || []).find((x, i) => typeValue(types, i) === value);
  return t ? t.unit : '';
}
