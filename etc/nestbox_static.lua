-- nestbox_static.lua: which device answers the front end sends itself by
-- a script: cached mip files (Apache; lighttpd maps those itself) from
-- <var_dir>/mip-static, and Python index project pages.  Shared by the two
-- front ends' scripts: nestbox-static.lua (lighttpd's mod_magnet) and
-- nestbox-static-apache.lua (Apache's mod_lua), which pass in how to stat
-- a file.  mkbox update checks, /list and mip package JSON are mapped by
-- the front ends' mod_rewrite (etc/nestbox-lighttpd.conf,
-- apache-example.conf), a plain file lookup that costs less than a script.
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
	local user, index, project = uri:match("^/pypi/([^/?]+)/([^/?]+)/%+simple/([^/?]+)/$")
	if user then
		return pypi_project(var, stat, header, user, index, project)
	end
	local hh, hash = uri:match("^/mip/file/([^/?]+)/([^/?]+)$")
	if hh then
		return mip_file(var, stat, hh, hash)
	end
	return nil
end

return M
