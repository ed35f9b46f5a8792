-- The account's own tags, which select accounts (`--tag team=payments`): read from AWS
-- Organizations by `inventory discover --with-tags`, or given as `account_tags` in an
-- inventory file. Kept apart from `tags`, the resource tags the template puts on the IAM
-- objects: selection tags never reach terraform, so changing them re-runs nothing.
-- A JSON object of tag key to value, keys sorted, as in `tags`.
ALTER TABLE accounts ADD COLUMN account_tags TEXT NOT NULL DEFAULT '{}';
