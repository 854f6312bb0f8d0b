// app.js: entry point. The server answers /, /p/{id}, /diff/{a}/{b} and
// /leaks with the same index.html; this routes on location.pathname.

import { mountHome } from './home.js';
import { mountProfile } from './profile.js';
import { mountDiff } from './diff.js';
import { mountLeaks } from './leaks.js';
import { mountTimeline } from './timeline.js';
import { mountTargets } from './targets.js';
import { mountNotFound } from './notfound.js';

function route() {
  const root = document.getElementById('app');
  const path = location.pathname;
  let m;
  if (path === '/' || path === '/index.html') return mountHome(root);
  if ((m = /^\/p\/([^/]+)\/?$/.exec(path))) return mountProfile(root, decodeURIComponent(m[1]));
  if ((m = /^\/diff\/([^/]+)\/([^/]+)\/?$/.exec(path))) return mountDiff(root, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  if (path === '/leaks' || path === '/leaks/') return mountLeaks(root);
  if (path === '/s' || path === '/s/') return mountTimeline(root);
  if (path === '/targets' || path === '/targets/') return mountTargets(root);
  return mountNotFound(root);
}

route();
