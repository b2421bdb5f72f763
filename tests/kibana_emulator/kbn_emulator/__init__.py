"""A stand-in for the Kibana APIs the collection uses: spaces and the ML saved objects of anomaly detection jobs."""
