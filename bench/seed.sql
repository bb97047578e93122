-- The seed rule's KQL (../shared/seed/000_787723470b49f83d.txt), translated to DuckDB SQL,
-- on the normalized NDJSON that `foothold generate` writes. Run by bench/run.py:
--
--   FOOTHOLD_INPUT=events.ndjson duckdb -c ".read bench/seed.sql"
--
-- Line by line it follows the KQL; where the KQL leaves a choice open, it makes foothold's
-- documented choice, so that the rows can be compared whole:
--   * make_set(x, N): the N distinct values seen first in event time, ties by value, in
--     that order;
--   * arg_max(file_time, ...): ties on file_time go to the later process start, then to the
--     larger ids and command lines;
--   * order by last_seen desc, then the group's columns and bin ascending.
-- `has` is a whole-term match: a term is a maximal run of Unicode letters and digits, so the
-- needle must not touch a letter or digit on either side. Times are the generator's UTC
-- (`...Z`) with seven fractional digits, read as nanosecond timestamps.

COPY (
WITH ev AS (
    SELECT * FROM read_ndjson(getenv('FOOTHOLD_INPUT'), columns = {
        event_id: 'VARCHAR', time_generated: 'VARCHAR', computer: 'VARCHAR',
        process_id: 'VARCHAR', process_path: 'VARCHAR', command_line: 'VARCHAR',
        parent_process_id: 'VARCHAR', parent_process_path: 'VARCHAR',
        parent_process_name: 'VARCHAR', parent_command_line: 'VARCHAR',
        user_name: 'VARCHAR', target_filename: 'VARCHAR', file_ext: 'VARCHAR'
    }, format = 'newline_delimited')
),
-- let parents = Sysmon_1_ProcessCreate() | extend parent_path = tolower(...), process_path = tolower(...)
parents AS (
    SELECT
        CAST(rtrim(time_generated, 'Z') AS TIMESTAMP_NS) AS p_time,
        coalesce(computer, '') AS computer,
        TRY_CAST(process_id AS UBIGINT) AS process_id,
        lower(coalesce(process_path, '')) AS process_path,
        coalesce(command_line, '') AS command_line,
        TRY_CAST(parent_process_id AS UBIGINT) AS parent_process_id,
        lower(coalesce(parent_process_path, '')) AS parent_process_path,
        coalesce(parent_process_name, '') AS parent_process_name,
        coalesce(parent_command_line, '') AS parent_command_line,
        coalesce(user_name, '') AS user_name
    FROM ev
    WHERE event_id = '1'
),
kept_parents AS (
    SELECT * FROM parents
    -- | where isnotempty(parent_path)
    WHERE parent_process_path <> ''
      -- | where parent_path has_any ("users","appdata","programdata","temp")
      AND regexp_matches(parent_process_path, '(^|[^\pL\pN])(users|appdata|programdata|temp)([^\pL\pN]|$)')
      -- | where parent_path !has "windows"
      AND NOT regexp_matches(parent_process_path, '(^|[^\pL\pN])windows([^\pL\pN]|$)')
      -- | where parent_path !contains @"\appdata\local\discord\"
      AND NOT contains(parent_process_path, '\appdata\local\discord\')
      -- | where not(tolower(parent_process_name) =~ "werfault.exe")
      AND lower(parent_process_name) <> 'werfault.exe'
      -- | where parent_path !in (...)   (the seed's lab allowlist)
      AND parent_process_path NOT IN (
          'c:\users\shawnspencer\appdata\local\microsoft\onedrive\update\onedrivesetup.exe',
          'c:\users\shawnspencer\appdata\local\discord\update.exe',
          'c:\programdata\microsoft\windows defender\platform\4.18.25080.5-0\msmpeng.exe',
          'c:\users\shawnspencer\appdata\local\microsoft\onedrive\onedrivestandaloneupdater.exe'
      )
      AND process_id IS NOT NULL
),
-- let drops = Sysmon_11_FileCreate() | extend tgt = tolower(target_filename)
drops AS (
    SELECT
        CAST(rtrim(time_generated, 'Z') AS TIMESTAMP_NS) AS file_time,
        coalesce(computer, '') AS computer,
        TRY_CAST(process_id AS UBIGINT) AS process_id,
        lower(coalesce(target_filename, '')) AS tgt,
        coalesce(file_ext, '') AS given_ext
    FROM ev
    WHERE event_id = '11'
),
kept_drops AS (
    SELECT
        file_time, computer, process_id, tgt AS target_filename,
        -- | extend file_ext = iff(isempty(file_ext), tostring(extract(@"\.([a-z0-9]{1,8})$", 1, tgt)), file_ext)
        CASE WHEN given_ext = '' THEN regexp_extract(tgt, '\.([a-z0-9]{1,8})$', 1) ELSE given_ext END AS file_ext
    FROM drops
    WHERE (contains(tgt, '\appdata\local\') OR contains(tgt, '\appdata\roaming\')
           OR contains(tgt, '\local\temp\') OR contains(tgt, '\temp\') OR contains(tgt, '\desktop\'))
      AND NOT contains(tgt, '\appdata\local\google\chrome\user data\default\cache\')
      AND NOT contains(tgt, '\appdata\local\microsoft\edge\user data\default\cache\')
      AND NOT regexp_matches(tgt, '\\~\$.+\.(docx|xlsx|pptx)$')
      AND process_id IS NOT NULL
),
-- parents | join kind=inner (drops ...) on computer, process_id
-- | where file_time between (p_time .. p_time + window)
joined AS (
    SELECT p.*, d.file_time, d.target_filename, d.file_ext,
           -- bin(file_time, 10m)
           (epoch_ns(d.file_time) // 600000000000) AS bin
    FROM kept_parents p
    JOIN kept_drops d ON p.computer = d.computer AND p.process_id = d.process_id
    WHERE d.file_time BETWEEN p.p_time AND p.p_time + INTERVAL 3 MINUTE
),
targets AS (
    SELECT bin, computer, process_path, parent_process_path, parent_process_name, user_name,
           target_filename AS v, min(file_time) AS t
    FROM joined GROUP BY ALL
),
target_samples AS (
    SELECT bin, computer, process_path, parent_process_path, parent_process_name, user_name,
           list(v ORDER BY t, v) AS sample_targets
    FROM (SELECT *, row_number() OVER (
              PARTITION BY bin, computer, process_path, parent_process_path, parent_process_name, user_name
              ORDER BY t, v) AS r FROM targets)
    WHERE r <= 15
    GROUP BY ALL
),
exts AS (
    SELECT bin, computer, process_path, parent_process_path, parent_process_name, user_name,
           file_ext AS v, min(file_time) AS t
    FROM joined GROUP BY ALL
),
ext_samples AS (
    SELECT bin, computer, process_path, parent_process_path, parent_process_name, user_name,
           list(v ORDER BY t, v) AS sample_exts
    FROM (SELECT *, row_number() OVER (
              PARTITION BY bin, computer, process_path, parent_process_path, parent_process_name, user_name
              ORDER BY t, v) AS r FROM exts)
    WHERE r <= 10
    GROUP BY ALL
),
-- | summarize first_seen = min(file_time), last_seen = max(file_time), drop_events = count(),
--   ..., arg_max(file_time, process_id, parent_process_id, command_line, parent_command_line, ...)
--   by bin(file_time, 10m), computer, process_path, parent_process_path, parent_process_name, user_name
summary AS (
    SELECT bin, computer, process_path, parent_process_path, parent_process_name, user_name,
           min(file_time) AS first_seen, max(file_time) AS last_seen, count(*) AS drop_events,
           arg_max(
               struct_pack(process_id := process_id, parent_process_id := parent_process_id,
                           command_line := command_line, parent_command_line := parent_command_line),
               struct_pack(f := file_time, p := p_time, a := process_id, b := parent_process_id,
                           c := command_line, d := parent_command_line)) AS latest
    FROM joined GROUP BY ALL
)
-- | project time_generated = first_seen, last_seen, drop_events, computer, user_name, ...
SELECT epoch_ns(s.first_seen) AS time_generated_ns, epoch_ns(s.last_seen) AS last_seen_ns,
       s.drop_events, s.computer, s.user_name, s.parent_process_name, s.parent_process_path,
       s.latest.parent_process_id AS parent_process_id, s.process_path,
       s.latest.process_id AS process_id, s.latest.command_line AS command_line,
       s.latest.parent_command_line AS parent_command_line,
       e.sample_exts, t.sample_targets
FROM summary s
JOIN target_samples t USING (bin, computer, process_path, parent_process_path, parent_process_name, user_name)
JOIN ext_samples e USING (bin, computer, process_path, parent_process_path, parent_process_name, user_name)
-- | order by last_seen desc
ORDER BY s.last_seen DESC, s.computer, s.process_path, s.parent_process_path,
         s.parent_process_name, s.user_name, s.bin
) TO '/dev/stdout' (FORMAT JSON);
