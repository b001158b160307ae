#!/usr/bin/env python3
"""Checks the internal links of a generated site: every href/src in every HTML page that is not
external must name a file under the site, and a #fragment must name an id (or name) in that page.
Usage: check-links.py SITE_DIR. Prints the broken links and exits 1 when there are any."""
import html.parser, os, sys, urllib.parse

site = os.path.abspath(sys.argv[1])
EXTERNAL = ('http:', 'https:', 'mailto:', 'javascript:', 'data:', 'tel:', '//')

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('id', 'name') and v: self.ids.add(v)
            if v and ((k == 'href' and tag in ('a', 'link', 'area')) or (k == 'src' and tag in ('img', 'script', 'iframe'))):
                self.links.append(v.strip())

pages = {}
for d, _, files in os.walk(site):
    for f in files:
        if f.endswith('.html'):
            p = Page()
            with open(os.path.join(d, f), encoding='utf-8') as fh: p.feed(fh.read())
            pages[os.path.join(d, f)] = p

broken, checked = [], 0
for path, page in sorted(pages.items()):
    for link in page.links:
        if link.lower().startswith(EXTERNAL): continue
        checked += 1
        parts = urllib.parse.urlsplit(link)
        target = path if not parts.path else os.path.normpath(
            os.path.join(site if parts.path.startswith('/') else os.path.dirname(path), urllib.parse.unquote(parts.path).lstrip('/')))
        if os.path.isdir(target): target = os.path.join(target, 'index.html')
        where = os.path.relpath(path, site)
        if not target.startswith(site) or not os.path.isfile(target):
            broken.append(f'{where}: {link} (no file {os.path.relpath(target, site)})'); continue
        frag = urllib.parse.unquote(parts.fragment)
        if frag and target in pages and frag not in pages[target].ids:
            broken.append(f'{where}: {link} (no id "{frag}" in {os.path.relpath(target, site)})')

for b in broken: print('broken link: ' + b)
print(f'links: {len(pages)} pages, {checked} internal links checked, {len(broken)} broken')
sys.exit(1 if broken else 0)
