"""Jobs: named selections of assets and ops that people and sensors launch."""
