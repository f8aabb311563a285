-- Pelita store, schema version 3: reports read every indicator of a country
-- in one scan; index the country they are filed under.
CREATE INDEX indicators_country ON indicators (country) WHERE country IS NOT NULL;
