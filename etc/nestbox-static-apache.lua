-- nestbox-static-apache.lua: Apache's mod_lua answers cached mip files and
-- Python index project pages from nestbox's static trees (mkbox update
-- checks, /list and mip package JSON are mod_rewrite's)
-- (etc/nestbox_static.lua decides; apache-example.conf hooks
-- translate_name below in before mod_alias).
-- On a hit the request becomes the tree's file, sent by Apache's own
-- file handler; a miss declines and ScriptAlias hands it to the program.
-- nestbox's var_dir comes from the request environment NESTBOX_VAR
-- (SetEnvIf in apache-example.conf, set before this hook runs).
require("apache2")

if not package.loaded.nestbox_static then
	local src = debug.getinfo(1, "S").source
	local dir = src:match("^@?(.*)/[^/]*$") or "."
	package.path = dir .. "/?.lua;" .. package.path
end
local core = require("nestbox_static")

-- Apache's stat (APR: mtime already in microseconds), in core's shape
local function stat_of(r)
	return function(path)
		local st = r:stat(path)
		if not st then
			return nil
		end
		return { size = st.size, mtime = st.mtime, file = st.filetype == 1,
			 dir = st.filetype == 2 }
	end
end

function translate_name(r)
	local a = core.route(r.method, r.unparsed_uri, r.subprocess_env["NESTBOX_VAR"],
			     stat_of(r), os.time(), function(h) return r.headers_in[h] end)
	if not a then
		return apache2.DECLINED
	end
	r.filename = a.path
	r.content_type = a.type
	if a.disposition then
		r.headers_out["Content-Disposition"] = a.disposition
	end
	if a.vary then
		r.headers_out["Vary"] = a.vary
	end
	r.headers_out["X-Nestbox-Route"] = a.route
	return apache2.OK
end
