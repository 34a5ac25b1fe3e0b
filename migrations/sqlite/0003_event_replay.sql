-- Live hazard streams resume after a gap by replaying documents changed since the client's last
-- feed number.
CREATE INDEX documents_kind_seq ON documents (kind, updated_seq);
