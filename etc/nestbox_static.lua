-- nestbox_static.lua: which device answers the front end sends itself:
-- mkbox update checks and /list from the static tree
-- <var_dir>/mkbox-static/live (the layout is src/mkbox/mkbox_static.c's;
-- Apache's only: lighttpd maps these with mod_rewrite),
-- and mip package JSON from <var_dir>/mip-static (hosted: mip_publish.c;
-- proxied while fresh: mip_proxy.c).  Shared by the two front ends' scripts:
-- nestbox-static.lua (lighttpd's mod_magnet) and nestbox-static-apache.lua
-- (Apache's mod_lua), which pass in how to stat a file.
--
-- The mkbox tree is URL-keyed and kept current by the watcher
-- (nestbox-mkbox-watch), which follows the image directory: a check costs
-- one stat (two for an update tar, or the query form's master-or-main),
-- and nothing of the image directory is read here.  The tree is reached
-- through the watcher's /proc entry, so without a running watcher every
-- path misses.  Anything the tree does not hold (an unknown, changing or
-- inconsistent build, a name or query this script does not read exactly
-- as the program does, a method other than GET, a range or a conditional
-- request) returns nil: the request goes on to the FastCGI program.
--
-- A proxied mip package JSON is sent while its file's mtime (its expiry)
-- is in the future; after that the program revalidates it.
--
-- A Python index project page (/pypi/<user>/<index>/+simple/<project>/)
-- is sent from <var_dir>/pypi-static (src/pypi/pypi_static.c keeps it
-- current at every change) when the name is normalized and the Accept
-- header names one format without doubt: pip's (JSON), none, */* or
-- text/html (HTML).  Anything else is pypi.fcgi's (its redirect, its
-- negotiation); so is a miss, which the program answers and writes.
--
-- route(method, uri, var, stat, now, header) -> nil, or a table:
--   path         the file to send
--   type         its Content-Type
--   disposition  its Content-Disposition (nil: none)
--   route        the X-Nestbox-Route to log ("static <route>")
--   vary         its Vary (nil: none)
-- uri is the request target as sent (path and query, not decoded); var is
-- nestbox's server.var_dir; now the time in seconds; stat(path) returns nil or
-- { size = bytes, mtime = microseconds since the epoch, file = bool, dir = bool }.

local M = {}

-- a box, image, board, branch or version name (src/mkbox/mkbox_dir.c's
-- mkbox_name_ok without '+', which one front end decodes as a space), and
-- a buildID the tree can hold (mkbox_static_id_ok)
local NAME = "^[%w_~][%w._~-]*$"
local TEXT = "^[%w._~-]*$"

local function name_ok(s)
	return s ~= nil and #s >= 1 and #s <= 200 and s:match(NAME) ~= nil
end

local function id_ok(s)
	return #s >= 1 and #s <= 128 and s:match(NAME) ~= nil
end

local TAR = "application/x-tar"
local ATTACHMENT = 'attachment; filename="update.tar"'

-- /update/<box>/<image>[/<have>]: the empty tar when have is the current
-- buildID (its entry id/<have> exists), else the update tar
-- (shared/protocols/mkbox-update.md); a build the tree does not hold is
-- the program's
local function update(live, stat, box, image, have, route)
	local base = live .. "/update/" .. box .. "/" .. image .. "/"
	if have and id_ok(have) then
		local st = stat(base .. "id/" .. have)
		if st and st.file then
			return { path = base .. "id/" .. have, type = TAR, disposition = ATTACHMENT,
				 route = route }
		end
	end
	local st = stat(base .. "update.tar")
	if not (st and st.file) then
		return nil
	end
	return { path = base .. "update.tar", type = TAR, disposition = ATTACHMENT, route = route }
end

local FIELDS = { name = true, board = true, branch = true, version = true, build_id = true }

-- /update?name&board[&branch][&version][&build_id], read as the program
-- reads it (mkbox_query_image) when every pair is a known field given
-- once with a plain value; anything else is the program's.
local function query(live, stat, q)
	local v = {}
	for pair in (q .. "&"):gmatch("([^&]*)&") do
		local k, val = pair:match("^([%w_]+)=(.*)$")
		if not k or not FIELDS[k] or v[k] ~= nil or not val:match(TEXT) then
			return nil
		end
		v[k] = val
	end
	if not (name_ok(v.name) and name_ok(v.board)) then
		return nil
	end
	local ver = ""
	if v.version and v.version ~= "" then
		if not name_ok(v.version) then
			return nil
		end
		ver = "-" .. v.version
	end
	local prefix = v.name .. "-" .. v.board .. "-"
	local image
	if v.branch and v.branch ~= "" then
		if not name_ok(v.branch) then
			return nil
		end
		image = prefix .. v.branch .. ver
	else
		-- no branch: the master image if there is one (its directory in
		-- the tree exists while its .img.zst does), else main
		image = prefix .. "master" .. ver
		local m = stat(live .. "/update/" .. v.name .. "/" .. image)
		if not (m and m.dir) then
			image = prefix .. "main" .. ver
		end
	end
	if not name_ok(image) then
		return nil
	end
	return update(live, stat, v.name, image, v.build_id, "static /update?")
end

-- /list: the body the watcher wrote, while it holds
local function list(live, stat)
	local st = stat(live .. "/list")
	if not (st and st.file) then
		return nil
	end
	return { path = live .. "/list", type = "text/plain; charset=utf-8", route = "static /list" }
end

-- /mip/package/<flavour>/<name>/<version>.json: a hosted one, else a
-- proxied one while fresh (src/mip/mip_valid.c's names, without escapes)
local function mip_package(var, stat, now, flavour, name, file)
	if not (flavour:match("^[%w]+$") and name:match(NAME) and file:match("^[%w_~][%w._~-]*%.json$")
		and #name <= 100 and #file <= 69) then
		return nil
	end
	local rel = "/package/" .. flavour .. "/" .. name .. "/" .. file
	local route = "static /mip/package/:flavour/:name/:file"
	local hosted = var .. "/mip-static/mip" .. rel
	local st = stat(hosted)
	if st and st.file then
		return { path = hosted, type = "application/json", route = route }
	end
	local proxied = var .. "/mip-static/proxy" .. rel
	st = stat(proxied)
	if st and st.file and st.mtime > now * 1000000 then
		return { path = proxied, type = "application/json", route = route }
	end
	return nil
end

-- /mip/file/<hh>/<prefix>: the link mip_store.c keeps for an 8-digit
-- prefix that names one cached file (Apache; lighttpd maps these itself)
local function mip_file(var, stat, hh, hash)
	if not (hh:match("^%x%x$") and hash:match("^%x+$") and #hash <= 64) then
		return nil
	end
	local path = var .. "/mip-static/mip/file/" .. hh .. "/" .. hash
	local st = stat(path)
	if st and st.file then
		return { path = path, type = "application/octet-stream",
			 route = "static /mip/file/:hh/:hash" }
	end
	return nil
end

-- The Accept headers whose answer is certain (src/pypi/pypi_name.c's
-- pypi_accept picks the same): pip's (PEP 691: JSON preferred), the JSON
-- type alone, and for HTML none, */* and text/html.
local PYPI_JSON = "application/vnd.pypi.simple.v1+json"
local PYPI_ACCEPT = {
	[PYPI_JSON .. ", application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"] = "json",
	[PYPI_JSON] = "json",
	[""] = "html", ["*/*"] = "html", ["text/html"] = "html",
}
local PYPI_TYPE = { json = PYPI_JSON, html = "text/html; charset=utf-8" }
local PYPI_MAX = 127	-- PYPI_NAME_MAX - 1

-- a user or index name (pypi_ident_ok) and a project name in PEP 503
-- normal form (pypi_is_normal, of a name pypi_project_ok takes)
local function pypi_ident(s)
	return #s <= PYPI_MAX and s:match("^[A-Za-z0-9_][A-Za-z0-9._-]*$") ~= nil
end

local function pypi_normal(s)
	return #s <= PYPI_MAX and s:match("^[a-z0-9][a-z0-9-]*$") ~= nil and
	       s:match("[a-z0-9]$") ~= nil and not s:find("--", 1, true)
end

-- /pypi/<user>/<index>/+simple/<project>/
local function pypi_project(var, stat, header, user, index, project)
	local fmt = PYPI_ACCEPT[header("Accept") or ""]
	if not (fmt and pypi_ident(user) and pypi_ident(index) and pypi_normal(project)) then
		return nil
	end
	local path = var .. "/pypi-static/" .. user .. "/" .. index .. "/" .. project ..
		     "/index." .. fmt
	local st = stat(path)
	if not (st and st.file) then
		return nil
	end
	return { path = path, type = PYPI_TYPE[fmt], vary = "Accept",
		 route = "static /pypi/:user/:index/+simple/:project/" }
end

-- Request headers that make an answer depend on more than the URL (a
-- range, a condition): such a request is the program's, whose answers
-- (416 with Content-Range, no 304) the front end's file handler does not give.
M.HEADERS = { "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since",
	      "If-Unmodified-Since" }

-- header(name) returns the request header's value or nil
function M.route(method, uri, var, stat, now, header)
	if method ~= "GET" or not var or var == "" then
		return nil
	end
	for _, h in ipairs(M.HEADERS) do
		if header(h) then
			return nil
		end
	end
	local flavour, name, file = uri:match("^/mip/package/([^/?]+)/([^/?]+)/([^/?]+)$")
	if flavour then
		return mip_package(var, stat, now, flavour, name, file)
	end
	local user, index, project = uri:match("^/pypi/([^/?]+)/([^/?]+)/%+simple/([^/?]+)/$")
	if user then
		return pypi_project(var, stat, header, user, index, project)
	end
	local hh, hash = uri:match("^/mip/file/([^/?]+)/([^/?]+)$")
	if hh then
		return mip_file(var, stat, hh, hash)
	end
	local live = var .. "/mkbox-static/live"
	if uri == "/list" or uri == "/list/" then
		return list(live, stat)
	end
	local box, image, have = uri:match("^/update/([^/?]+)/([^/?]+)/([^/?]+)$")
	local route = "static /update/:box/:image/:build"
	if not box then
		box, image = uri:match("^/update/([^/?]+)/([^/?]+)$")
		route = "static /update/:box/:image"
	end
	if box then
		if not (name_ok(box) and name_ok(image)) or
		   (have and not (#have <= 128 and have:match(TEXT))) then
			return nil
		end
		return update(live, stat, box, image, have, route)
	end
	local q = uri:match("^/update%?(.+)$")
	if q then
		return query(live, stat, q)
	end
	return nil
end

return M
