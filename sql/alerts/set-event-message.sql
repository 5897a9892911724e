UPDATE alert_events SET message = ${message} WHERE id = ${id}
